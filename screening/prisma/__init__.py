"""The PRISMA 2020 flow diagram: its counts, computed from records and decisions (counts.py),
drawn as SVG (svg.py, layout in svg_layout.py), written as the methods text (text.py), and
its page with the downloads (views.py)."""
