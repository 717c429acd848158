"""Write the sample knowledge base's slide decks (assistant/sample_kb/content/decks/*.pdf).

The decks were written for this project. Run it after editing a slide (needs the dev extra: fpdf2):

    .venv/bin/python docs/make_sample_decks.py

Output is deterministic (fixed creation date), so an unchanged run leaves the PDFs byte-identical.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from fpdf import FPDF

OUT = Path(__file__).resolve().parent.parent / "assistant" / "sample_kb" / "content" / "decks"
CREATED = datetime(2026, 2, 10, 9, 0, tzinfo=timezone.utc)

DECKS = {
    "pmo-operating-rhythm": ("The PMO operating rhythm", [
        ("The PMO operating rhythm",
         ["Weekly, monthly and quarterly cycles that keep a portfolio honest",
          "Slides from the PMO practitioner forum session, February 2026"]),
        ("Why a rhythm matters",
         ["Decisions happen on a predictable cadence instead of in corridor conversations.",
          "Project managers know exactly when data is due and what happens to it.",
          "Executives stop asking for ad hoc updates because the next one is always days away.",
          "The PMO spends its time on analysis, not on chasing people."]),
        ("The weekly cycle",
         ["Monday 12:00 - data cut-off: every project updates status, RAID and forecast in the PPM tool.",
          "Tuesday - PMO quality check: stale dates, missing owners and unexplained RAG changes go back to the project.",
          "Wednesday - the portfolio dashboard is published to sponsors.",
          "Thursday - exceptions clinic: 30 minutes with any project that turned red this week."]),
        ("The monthly portfolio board",
         ["Held on the third Thursday of every month.",
          "The pre-read goes out five working days before the meeting, never later.",
          "Agenda: decisions first, then escalated risks, then the benefits forecast.",
          "Every decision is logged with an owner and a date within 24 hours."]),
        ("The quarterly planning cycle",
         ["Re-baseline capacity by role for the next 90 days.",
          "Re-score the pipeline with the agreed prioritisation criteria.",
          "Stop or pause at least one initiative if demand exceeds capacity.",
          "Publish the refreshed roadmap within one week of the planning day."]),
        ("The reporting calendar",
         ["One page that shows every cut-off, board date and publication date for the year.",
          "Agreed with the executive team in January and changed only by the head of PMO.",
          "Pinned in the PPM tool and sent as calendar invitations to all project managers."]),
        ("Late updates: amber by default",
         ["A status report not received by the Monday cut-off is shown as amber with the label 'no update'.",
          "Two missed cut-offs in a row are raised with the project sponsor.",
          "The rule is applied to everyone, including the PMO's own projects.",
          "Most portfolios reach near-complete on-time reporting within two months of introducing it."]),
        ("Measuring the health of the rhythm",
         ["On-time submission rate: target 95% of projects by the Monday cut-off.",
          "Decision latency: days from an issue being escalated to a decision being logged; target under 10.",
          "Pre-read punctuality: board papers issued five working days ahead, every month.",
          "Review these three measures at the quarterly planning day."]),
        ("Getting started in four weeks",
         ["Week 1: agree the cut-off day and time with the executive sponsor.",
          "Week 2: publish the reporting calendar and the amber-by-default rule.",
          "Week 3: run the first quality check and exceptions clinic.",
          "Week 4: hold a retrospective with project managers and adjust."]),
    ]),
    "pmo-career-lattice": ("PMO careers: a lattice, not a ladder", [
        ("PMO careers: a lattice, not a ladder",
         ["Mapping the moves open to PMO practitioners",
          "Slides from the career ownership session for the PMO community"]),
        ("Four families of PMO roles",
         ["Delivery support: planners, project support officers, schedulers.",
          "Governance and assurance: stage gate coordinators, health check reviewers, quality leads.",
          "Portfolio insight: analysts, reporting leads, capacity and benefits specialists.",
          "Capability and change: methods owners, PMO trainers, community of practice leads."]),
        ("Moving sideways is moving forward",
         ["A move between families at the same grade builds breadth that hiring managers look for.",
          "Heads of PMO typically have worked in at least three of the four families.",
          "Sideways moves are easier inside your own organisation: ask before you apply elsewhere."]),
        ("The PMO skills matrix",
         ["Rows: analysis, governance, facilitation, tools, commercial awareness, leadership.",
          "Columns: aware, practitioner, expert, teaches others.",
          "Rate yourself, then ask a peer to rate you; the gaps between the two ratings start the conversation.",
          "Refresh the matrix every six months."]),
        ("Development: 70-20-10",
         ["70% from stretch work: run the portfolio board pre-read, lead a lessons learned review.",
          "20% from other people: a mentor outside your reporting line, shadowing a programme director.",
          "10% from courses and certifications, chosen to close a gap in the matrix.",
          "Agree one stretch assignment with your manager every quarter."]),
        ("Keep a brag file",
         ["A running document of outcomes you delivered, with numbers and dates.",
          "Example entry: cut report preparation from three days to one by automating the data cut.",
          "Add to it every Friday; it takes five minutes.",
          "Use it for appraisals, promotion cases and interviews."]),
        ("The career conversation",
         ["Ask your manager three questions twice a year:",
          "1. What would you need to see from me to be ready for the next role?",
          "2. Which piece of work coming up would stretch me most?",
          "3. Who else should know about my ambitions?",
          "Write down the answers and review them at the next conversation."]),
        ("Where the lattice leads",
         ["Head of PMO or portfolio director.",
          "Programme or project manager, with governance experience as an advantage.",
          "Transformation, strategy or operations roles that value portfolio insight.",
          "Independent assurance and consulting."]),
    ]),
}


class Slides(FPDF):
    def slide(self, heading: str, bullets: list[str], number: int, total: int) -> None:
        self.add_page()
        self.set_font("Helvetica", "B", 26)
        self.set_xy(20, 18)
        self.multi_cell(0, 12, heading)
        self.set_font("Helvetica", "", 16)
        self.set_y(self.get_y() + 8)
        for bullet in bullets:
            self.set_x(24)
            self.multi_cell(0, 9, ("- " if number > 1 else "") + bullet)
            self.set_y(self.get_y() + 3)
        self.set_font("Helvetica", "", 10)
        self.set_xy(20, self.h - 14)
        self.cell(0, 6, f"{number} / {total}")


def write_deck(name: str, title: str, slides: list[tuple[str, list[str]]]) -> Path:
    pdf = Slides(orientation="L", unit="mm", format=(190.5, 338.7))  # 16:9
    pdf.set_auto_page_break(False)
    pdf.set_title(title)
    pdf.set_author("PMO Help Centre")
    pdf.set_creation_date(CREATED)
    for number, (heading, bullets) in enumerate(slides, start=1):
        pdf.slide(heading, bullets, number, len(slides))
    path = OUT / f"{name}.pdf"
    pdf.output(str(path))
    return path


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (title, slides) in DECKS.items():
        print(write_deck(name, title, slides))
