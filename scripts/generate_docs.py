"""Write the reference pages generated from the code (``web.reference``): python scripts/generate_docs.py"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from web.reference import PAGES  # noqa: E402

for path, page in PAGES.items():
    (ROOT / path).write_text(page(), encoding="utf-8")
    print(f"wrote {path}")
