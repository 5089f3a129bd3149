"""Rebuild this folder's files from SummEval as laid out in ``shared/data/summeval_dev`` (run from the project root:
``python tests/data/summeval/build.py ../shared/data/summeval_dev/summeval_dev25.jsonl``).

``human.jsonl`` is what ``beknopt eval --human`` reads (one judged summary a line); the 25 sources and the 11
references of each article are kept once, in ``sources.jsonl`` and ``references.jsonl``, for ``--source`` and
``--references``, instead of on each of the 16 systems' lines.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main(path: str) -> None:
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    human, sources, references = [], [], []
    for row in rows:
        sources.append({"id": row["id"], "source": row["article_tok"]})
        references.append({"id": row["id"], "references": row["references_tok"]})
        for system, judged in row["system_summaries"].items():
            human.append({"id": row["id"], "system": system, "model": judged["model"],
                          "prediction": judged["summary_tok"], "human": judged["human"]})
    for name, items in (("human", human), ("sources", sources), ("references", references)):
        with open(HERE / f"{name}.jsonl", "w", encoding="utf-8") as fh:
            for item in items:
                fh.write(json.dumps(item, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
