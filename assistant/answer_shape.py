"""What an answer looks like: the question's form says what its answering sentence holds. Pure.

    wanted("how many years does it take…")   -> {"quantity", "duration"}
    holds("three to six years", {"quantity"}) -> True

| the question asks…                                  | its answer holds         |
|-----------------------------------------------------|--------------------------|
| how much / how many / what percentage / what rate   | a quantity               |
| how long / how often / how far ahead / how soon     | a duration or frequency  |
| when / what day / what time                         | a time, a date or a "when…" condition |
| what size / what temperature / how big              | a measure                |
| who / whose / which person                          | a person or a role       |
| how do I / how to / how can / how should / steps    | an instruction           |
| why                                                 | a reason                 |

A sentence that is none of these can still answer (the kinds only add evidence); what never answers
while another candidate does is a greeting, an introduction or a closing thank-you (`ceremony`), and
a sentence that mostly restates the question's words (`restates`).
"""

from __future__ import annotations

import re
from functools import lru_cache

NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
                r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
                r"hundred|thousand|million|billion|half|quarter|third|twice|double|dozen|single|once")
_NUMBER = re.compile(rf"\d|\b(?:{NUMBER_WORDS})\b|%|£|\$|€|\bper ?cent\b", re.I)
_TIME_UNIT = re.compile(r"\b(?:second|minute|hour|day|week|fortnight|month|quarter|year|decade)s?\b|"
                        r"\b(?:daily|weekly|fortnightly|monthly|quarterly|annually|yearly|hourly)\b", re.I)
_FREQUENCY = re.compile(r"\b(?:every|each|once|twice|per|a (?:day|week|month|year))\b", re.I)
_WHEN = re.compile(r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|"
                   r"may|june|july|august|september|october|november|december|morning|afternoon|evening|"
                   r"before|after|until|during|whenever|when|once|at the (?:start|end)|o'clock|\d{1,2}[:.]\d{2}|"
                   r"(?:\d|\b)(?:am|pm)\b|days?|weeks?|months?|years?)\b", re.I)
_MEASURE = re.compile(r"\d\s*(?:°|degrees?|%|per ?cent|kg|g|mm|cm|m|km|mb|gb|pages?|words?|people|fte|columns?|"
                      r"fields?|rows?|points?)\b|\b(?:pages?|columns?|words?|people|points?|fields?)\b", re.I)
_ROLE = re.compile(r"\b(?:sponsor|owner|manager|director|board|committee|lead|leader|head|officer|analyst|"
                   r"coordinator|executive|chair|team|person|people|someone|nobody|everyone|stakeholders?|pmo|"
                   r"supplier|client|customer|architect|reviewer|gatekeeper|administrator|mentor|coach|peer|"
                   r"champion|user|staff|employee|colleague|ceo|cfo|cio|finance|hr)s?\b", re.I)
_INSTRUCTION = re.compile(r"^(?:[\"'“‘*_]*)(?:start|begin|use|ask|agree|write|set|build|keep|make|give|put|run|"
                          r"hold|send|check|review|track|record|log|list|name|add|cut|stop|avoid|don't|do|never|"
                          r"always|choose|pick|treat|plan|define|map|draw|score|rate|publish|share|limit|cap|"
                          r"include|involve|prepare|present|report|measure|collect|schedule|book|assign|"
                          r"allocate|deduct|weight|split|link|close|escalate|label|replace|lead|try|aim|"
                          r"focus|be|find|fix|move|get|turn|let|tell|say|show|see|read|count|trial|pilot|"
                          r"draft|consider|prioritise|prioritize|protect|block|route|expire|refresh|reduce|"
                          r"then|finally)\b", re.I)
_ADVICE = re.compile(r"\b(?:should|must|need to|needs to|have to|has to|it helps to|the (?:key|trick|rule) is|"
                     r"we (?:moved|built|set|made|added|brought|introduced|switched|started|stopped|agreed|ran|"
                     r"cut|asked|kept|used|created|changed|put|tried))\b", re.I)
_REASON = re.compile(r"\b(?:because|since|so that|so (?:the|that|people|they|we|you)|reason|due to|as a result|"
                     r"otherwise|which means|means that|leads? to|in order to|to avoid|prevents?|"
                     r"helps?|stops?|protects?|the point is|that's why|this is why)\b", re.I)
_CEREMONY = re.compile(r"^(?:[\"'“‘]*)(?:hi|hello|good (?:morning|afternoon|evening)|welcome|thanks? (?:you )?"
                       r"(?:both|all|everyone|so much|for (?:joining|coming|having))|thank you(?: both| all| everyone)?[,.!]|"
                       r"brilliant, thank|okay,? (?:so )?let's (?:start|begin|get started))|"
                       r"\bwelcome (?:to|everyone|back)\b|\b(?:i'm|i am) [A-Z][a-z]+ [A-Z][a-z]+\b|"
                       r"\b(?:joined by|my guests? (?:is|are|today)|today's session|today we're (?:talking|looking)|"
                       r"thanks? (?:to everyone )?for joining|see you (?:next|then|at the next|soon)|"
                       r"the recording (?:and the slides )?will be|goodbye)\b", re.I)
_QUESTION_FORMS = [
    ("quantity", re.compile(r"\bhow (?:much|many|big|large|small|far|high|low)\b|\bwhat (?:percentage|proportion|"
                            r"share|rate|number|amount|ratio|figure|target|budget|salary|pay|cost|price)\b|"
                            r"\b(?:percentage|proportion|how much|how many|salary|pay range|cost)\b", re.I)),
    ("duration", re.compile(r"\bhow (?:long|often|frequently|soon|early|late|quickly|far ahead|far in advance)\b|"
                            r"\bwhat (?:horizon|frequency|cadence|interval)\b|\bhow (?:many|much) (?:time|years?|"
                            r"months?|weeks?|days?|hours?)\b", re.I)),
    ("time", re.compile(r"^\s*when\b|\bwhen (?:should|do|does|is|are|can|will|to)\b|\bwhat (?:day|date|time|"
                        r"week|month)\b|\bhow far ahead\b|\bwhat deadline\b", re.I)),
    ("measure", re.compile(r"\bwhat (?:size|temperature|length|weight|height|width|format)\b|\bhow (?:big|long|"
                           r"large|heavy|wide|hot|cold)\b|\bhow many (?:pages|columns|fields|words|people)\b", re.I)),
    ("person", re.compile(r"^\s*who\b|\bwho (?:should|does|do|is|owns|decides|signs|runs|leads|approves)\b|"
                          r"\bwhose\b|\bwhich (?:person|role|team|manager)\b", re.I)),
    ("instruction", re.compile(r"\bhow (?:do|can|should|would|might) (?:i|we|you|they|a|the|my|our)\b|\bhow to\b|"
                               r"\bsteps?\b|\bways? to\b|\btips?\b|\bbest way\b|\bwhat should (?:i|we)\b|"
                               r"\bhow (?:do|did) (?:they|you|the)\b|\bhow did\b", re.I)),
    ("reason", re.compile(r"^\s*why\b|\bwhy (?:do|does|is|are|should|would|did)\b|\bwhat(?:'s| is) the point\b",
                          re.I)),
]
_SHAPES = {
    "quantity": lambda text: bool(_NUMBER.search(text)),
    "duration": lambda text: bool(_TIME_UNIT.search(text)) or (bool(_FREQUENCY.search(text)) and bool(_NUMBER.search(text))),
    "time": lambda text: bool(_WHEN.search(text)),
    "measure": lambda text: bool(_MEASURE.search(text)),
    "person": lambda text: bool(_ROLE.search(text)),
    "instruction": lambda text: bool(_INSTRUCTION.search(text)) or bool(_ADVICE.search(text)),
    "reason": lambda text: bool(_REASON.search(text)),
}


@lru_cache(maxsize=4096)
def wanted(question: str) -> frozenset[str]:
    """The kinds of content the question's form asks for (empty when its form says nothing)."""
    return frozenset(kind for kind, form in _QUESTION_FORMS if form.search(question))


@lru_cache(maxsize=65536)
def holds(text: str, kinds: frozenset[str]) -> bool:
    """The sentence holds at least one of the kinds of content asked for."""
    return any(_SHAPES[kind](text) for kind in kinds)


@lru_cache(maxsize=65536)
def ceremony(text: str) -> bool:
    """A greeting, an introduction of the speakers or the session, or a closing thank-you."""
    return bool(_CEREMONY.search(text))


RESTATE_NEW_WORDS = 0  # "Cool the beans in a colander" adds one word to "cooling beans", and that word is the answer


def restates(question_terms: set[str], sentence_terms: set[str]) -> bool:
    """The sentence mostly repeats the question's words and adds few of its own."""
    if len(question_terms) < 2 or not sentence_terms:
        return False
    shared = question_terms & sentence_terms
    return len(shared) / len(question_terms) >= 0.6 and len(sentence_terms - question_terms) <= RESTATE_NEW_WORDS
