"""How uploaded and downloaded XML is parsed: never resolving entities, DTDs or the network.

A DOCTYPE that declares entities is refused before parsing (see `xml_detect`); these options
are the second guard, for every lxml parse of a file or of an E-utilities answer.
"""

from __future__ import annotations


def xml_parser_options() -> dict:
    """The options every lxml parse of an uploaded file uses: no entities, DTDs or network."""
    return {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "huge_tree": False,
        "dtd_validation": False,
    }
