"""A deterministic synthetic wiki of N digest notes, for the benchmark.

Each note has the shape of a real digest note (see ``wiki/import-ai-455.md``): front-matter
with title, date, tier, type, authors, tags, aliases and three typed connections with
annotations, then ~400 words of body in the five sections (TL;DR, Why it matters,
Connections with ``[[wikilinks]]``, a numbered Research angle, 2–3 Open questions).

Every note depends only on ``(seed, index, n)``: ``note_text(i, n, seed)`` gives the same
text whatever order notes are written in, so the benchmark can add "one more" note later.

    python bench/generate.py OUT_DIR [-n 1000] [--seed 0]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from pathlib import Path

try:  # the relation names of kg's closed set; a copy if kg is not importable
    from kg.relations import RELATIONS

    RELATION_NAMES: tuple[str, ...] = tuple(r.name for r in RELATIONS)
except ImportError:  # pragma: no cover - running without kg installed
    RELATION_NAMES = (
        "related", "extends", "supports", "counterpoint", "critiques", "refutes", "qualifies",
        "applies", "uses-data", "evidence", "background", "discusses", "updates", "example-of",
        "answers", "cites",
    )

# Relations weighted roughly as a researcher uses them: mostly related/extends/supports.
_REL_WEIGHTS = {
    "related": 8, "extends": 6, "supports": 5, "counterpoint": 3, "critiques": 2,
    "applies": 3, "evidence": 3, "example-of": 2, "cites": 3,
}

_WORD_TEXT = """
model models training scaling agent agents benchmark benchmarks alignment reward policy
gradient optimisation evaluation dataset data inference latency throughput memory attention
transformer routing mixture experts sparse dense retrieval context window tokens reasoning
chain planning search tree verifier verification proof theorem bound lower upper robust
robustness adversarial attack defence safety oversight interpretability feature features
circuit circuits superposition probe probes steering activation activations layer layers
representation geometry manifold curvature loss landscape curriculum distillation teacher
student compute budget frontier lab labs open weights release preprint replication result
results finding findings claim claims evidence baseline baselines ablation ablations metric
metrics horizon horizons task tasks suite harness tool tools environment environments sandbox
simulation world dynamics forecast forecasts probability timeline timelines automation
research engineering pipeline system systems architecture hardware accelerator cluster
throughput cost price market economy policy governance regulation audit audits trail record
decision contract specification failure failures mode modes error errors compounding drift
shift distribution generalisation transfer fine-tuning pretraining post-training preference
feedback human humans expert experts uplift productivity workflow ticket tickets review
"""
WORDS = tuple(_WORD_TEXT.split())

STARTS = [
    "The authors show that", "This work argues that", "In practice", "Crucially",
    "The main result is that", "A careful ablation suggests that", "Taken together",
    "Unlike earlier work", "The paper measures how", "Across every setting", "On closer reading",
    "The key observation is that", "Empirically", "The headline number hides that",
]

TOPICS = [
    "Sparse Routing", "Reward Hacking", "Scalable Oversight", "Agentic Coding",
    "Long-Horizon Planning", "Mechanistic Interpretability", "Superposition Geometry",
    "Test-Time Compute", "Synthetic Data", "Preference Optimisation", "World Models",
    "Tool Use", "Automated Alignment", "Model Evaluation", "Distillation", "Retrieval",
    "Mixture of Experts", "Safety Cases", "Forecasting AI Progress", "Compute Governance",
    "Multi-Agent Systems", "Self-Improvement", "Process Supervision", "Red Teaming",
]

QUALIFIERS = [
    "Under Distribution Shift", "at Scale", "Without Labels", "for Small Models",
    "in the Wild", "Revisited", "as a Benchmark", "with Verifiers", "Across Languages",
    "and Its Limits", "by Construction", "in Practice", "for Agents", "Made Cheap",
]

TAGS = [
    "ai-rnd-automation", "forecasting", "benchmarks", "llms-foundation-models", "alignment",
    "interpretability", "agents", "reasoning", "efficiency", "safety", "evaluation",
    "reward-hacking", "routing", "world-models", "governance", "data", "rl", "post-training",
    "tooling", "multi-agent", "compute", "theory", "security", "robotics", "multimodal",
    "retrieval", "distillation", "scaling-laws", "oversight", "economics",
]

AUTHORS = [
    "Ada Park", "Ben Osei", "Chen Wei", "Dana Ruiz", "Eli Novak", "Fatima Khan", "Goran Ilic",
    "Hana Sato", "Ivan Petrov", "Jia Li", "Kofi Mensah", "Lena Vogel", "Marta Silva",
    "Nikhil Rao", "Olga Berg", "Pablo Diaz", "Quinn Hale", "Rosa Marin", "Sami Haddad",
    "Tomas Kral",
]

TYPES = ["paper", "paper", "paper", "digest", "post", "benchmark"]
START_DATE = dt.date(2023, 1, 1)
PLACEHOLDERS = 50  # distinct not-yet-written targets some notes mention


def note_id(i: int) -> str:
    return f"paper-{i:05d}"


def alias(i: int) -> str:
    return f"P{i:05d}"


def placeholder_id(k: int) -> str:
    return f"unwritten-topic-{k:02d}"


def title(i: int, seed: int = 0) -> str:
    rng = random.Random(f"title-{seed}-{i}")
    return f"{rng.choice(TOPICS)} {rng.choice(QUALIFIERS)} ({alias(i)})"


def _sentence(rng: random.Random, low: int = 9, high: int = 18) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    if rng.random() < 0.5:
        return f"{rng.choice(STARTS)} {' '.join(words)}."
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(_sentence(rng) for _ in range(sentences))


def _yaml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _targets(rng: random.Random, i: int, n: int, count: int = 3) -> list[int]:
    """``count`` distinct other notes: some uniform, one biased toward low indices (hubs)."""
    if n <= 1:
        return []
    chosen: list[int] = []
    while len(chosen) < min(count, n - 1):
        hub = len(chosen) == 0
        t = int(n * rng.random() ** 3) if hub else rng.randrange(n)
        if t != i and t not in chosen:
            chosen.append(t)
    return chosen


def note_text(i: int, n: int, seed: int = 0) -> str:
    """The Markdown text of note ``i`` of a wiki of ``n`` notes (targets are in ``range(n)``)."""
    rng = random.Random(f"note-{seed}-{i}")
    rels = list(_REL_WEIGHTS)
    weights = list(_REL_WEIGHTS.values())
    date = START_DATE + dt.timedelta(days=rng.randrange(3 * 365))
    tier = rng.choices([1, 2, 3], weights=[2, 4, 4])[0]
    tags = rng.sample(TAGS, rng.randint(2, 4))
    authors = rng.sample(AUTHORS, rng.randint(1, 3))
    targets = _targets(rng, i, n)
    my_title = title(i, seed)

    lines = [
        "---",
        f"title: {_yaml_str(my_title)}",
        f"date: {date.isoformat()}",
        f"tier: {tier}",
        f"type: {rng.choice(TYPES)}",
        f"authors: [{', '.join(authors)}]",
        f"aliases: [{_yaml_str(alias(i))}]",
        f"tags: [{', '.join(tags)}]",
        "connections:",
    ]
    annotations = []
    for t in targets:
        rel = rng.choices(rels, weights=weights)[0]
        rel = rel if rel in RELATION_NAMES else "related"
        ref = alias(t) if rng.random() < 0.25 else note_id(t)
        note = _sentence(rng, 10, 20)
        annotations.append(note)
        lines += [f"  - to: {ref}", f"    rel: {rel}", f"    note: {_yaml_str(note)}"]
    lines.append("---")

    body = ["## TL;DR", _paragraph(rng, 4), "", _paragraph(rng, 3), "", "## Why it matters"]
    why = _paragraph(rng, 3)
    if n > 1:
        other = rng.randrange(n)
        if other != i:
            why += f" It also bears on [[{note_id(other)}|{title(other, seed)}]]."
    if rng.random() < 0.1:
        why += f" See [[{placeholder_id(rng.randrange(PLACEHOLDERS))}]], not written yet."
    body += [why, "", "## Connections"]
    for t, note in zip(targets, annotations, strict=True):
        link = f"[[{alias(t)}]]" if rng.random() < 0.2 else f"[[{note_id(t)}|{title(t, seed)}]]"
        body.append(f"- {link} — {note} {_sentence(rng, 8, 14)}")
    body += ["", "## Research angle"]
    for k in range(1, rng.randint(2, 3) + 1):
        lead = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 5))).capitalize()
        body.append(f"{k}. **{lead}.** {_sentence(rng)} {_sentence(rng)}")
    body += ["", "## Open questions"]
    for _ in range(rng.randint(2, 3)):
        q = " ".join(rng.choice(WORDS) for _ in range(rng.randint(9, 16)))
        body.append(f"- Does {q}?")
    return "\n".join(lines + body) + "\n"


def generate(folder: str | Path, n: int, seed: int = 0) -> list[Path]:
    """Write notes ``0 .. n-1`` into ``folder`` (created); return their paths."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = out / f"{note_id(i)}.md"
        path.write_text(note_text(i, n, seed), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="where to write the notes (created)")
    parser.add_argument("-n", type=int, default=1000, help="number of notes (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    paths = generate(args.folder, args.n, args.seed)
    words = sum(len(p.read_text(encoding="utf-8").split("---", 2)[2].split()) for p in paths)
    print(f"wrote {len(paths)} notes to {args.folder} (~{words // max(1, len(paths))} words "
          "of body each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
