#!/usr/bin/env python3
"""Generate rewardsmith's bundled demo sample sets (search, math, maze) and their README.

The sets imitate the generations a GRPO run sees: groups of 4-8 completions of one prompt, most groups
mixing good and bad completions, a few with zero spread (all good or all bad). Every completion is
built from a named *mode* (a behaviour real models show: search spam, hedged answers, ``\\boxed{}``
instead of tags, walking through maze walls ...). Its label is decided twice, once by the mode and once
by the label rule of the set (see ``search_label``, ``math_label``, ``maze_label``); the script stops if
the two disagree, so the labels in the files follow the documented rules exactly.

Deterministic and standard library only (beyond the catalogue in ``rewardsmith/demo.py``): each set has
its own seeded ``random.Random`` and nothing depends on hash order, so re-running writes byte-identical
files.

Usage::

    python scripts/make_demo_data.py                 # writes rewardsmith/data/demo/
    python scripts/make_demo_data.py --out /tmp/demo
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter, deque
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from rewardsmith.demo import DEMO_DIR, DEMO_SETS, demo_set  # noqa: E402  (the catalogue: names and files)

__all__ = ["DEFAULT_OUT", "FILES", "build_math", "build_maze", "build_search", "main",
           "math_label", "maze_label", "search_label"]

DEFAULT_OUT = DEMO_DIR
FILES = (*(demo_set(name).file for name in DEMO_SETS), "README.md")

SEARCH_SEED = 7301
MATH_SEED = 7302
MAZE_SEED = 7303

SEARCH_CAP = 5  # more searches than this is search spam, whatever the answer
GOOD, BAD = "good", "bad"

Row = dict[str, Any]


# ======================================================================================= label rules
# These are the documented rules (README.md). They are deliberately plain so a reader can check a row by eye.

_SEARCH_TURN = re.compile(
    r"\s*<think>(?:(?!</?think>).)*</think>\s*<search>(?:(?!</?search>).)*</search>\s*", re.S)
_SEARCH_FINAL = re.compile(
    r"\s*<think>(?:(?!</?think>).)*</think>\s*<answer>((?:(?!</?answer>).)*)</answer>\s*", re.S)


def search_label(completion: dict[str, Any], answer: str, aliases: list[str]) -> str:
    """good iff the trajectory is well-formed, uses at most SEARCH_CAP searches and answers right.

    Well-formed: assistant and tool turns alternate; every assistant turn but the last is
    ``<think>…</think>`` then one ``<search>…</search>``; the last is ``<think>…</think>`` then exactly
    one ``<answer>…</answer>`` and nothing else. Right: the text inside the answer tags, stripped,
    equals the gold answer or an alias, case-insensitively (a sentence containing it is not enough).
    """
    msgs = completion["messages"]
    if not msgs or msgs[-1]["role"] != "assistant":
        return BAD
    searches = 0
    for i, msg in enumerate(msgs[:-1]):
        expected = "assistant" if i % 2 == 0 else "tool"
        if msg["role"] != expected:
            return BAD
        if expected == "assistant":
            if not _SEARCH_TURN.fullmatch(msg["content"]):
                return BAD
            searches += 1
    if searches > SEARCH_CAP:
        return BAD
    last = msgs[-1]["content"]
    match = _SEARCH_FINAL.fullmatch(last)
    if not match or last.count("<answer>") != 1:
        return BAD
    accepted = {a.casefold() for a in [answer, *aliases]}
    return GOOD if match.group(1).strip().casefold() in accepted else BAD


_MATH_FORMAT = re.compile(
    r"\s*<reasoning>(?:(?!</?reasoning>).)*</reasoning>\s*<answer>((?:(?!</?answer>).)*)</answer>\s*", re.S)
_MATH_NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)")


def math_label(completion: list[dict[str, str]], answer: str) -> str:
    """good iff the one assistant message is ``<reasoning>…</reasoning>`` then ``<answer>…</answer>``
    (newlines or not), nothing after it, and the answer is a bare integer equal to gold.

    Thousands separators are a way of writing the number (``2,520`` is good); units, currency signs,
    ``\\boxed{}`` and words are not.
    """
    text = completion[-1]["content"]
    match = _MATH_FORMAT.fullmatch(text)
    if not match or text.count("<answer>") != 1:
        return BAD
    value = match.group(1).strip()
    if not _MATH_NUMBER.fullmatch(value):
        return BAD
    return GOOD if int(value.replace(",", "")) == int(answer) else BAD


def maze_label(completion: str, answer: str) -> str:
    """good iff the completion is one ``<think>…</think>`` block followed only by move tokens that
    equal the gold path once whitespace is removed (spaces or newlines between tokens are tolerated)."""
    if not completion.lstrip().startswith("<think>"):
        return BAD
    if completion.count("<think>") != 1 or completion.count("</think>") != 1:
        return BAD
    after = completion.split("</think>", 1)[1]
    return GOOD if "".join(after.split()) == answer else BAD


# ======================================================================================= search set

SEARCH_SYSTEM = (
    "You are a research assistant that answers questions with the help of a search engine.\n"
    "Reason inside <think> and </think> every time you get new information. If you lack some knowledge, "
    "call the search engine with <search> query </search>; the top results come back between "
    "<information> and </information>. You can search as many times as you need. When you have enough "
    "information, give the final answer inside <answer> and </answer> with no explanation, for example "
    "<answer> Beijing </answer>."
)

# Each question: gold answer and aliases, a small corpus of real facts written as retrieved passages,
# the canonical search hops, a one-search route, a verification search, the reasoning before the
# answer, the wrong answers models give (after searching / from memory), and the modes of its group.
SEARCH_QUESTIONS: list[dict[str, Any]] = [
    {  # g01
        "question": "Who was the President of the United States when the Eiffel Tower was completed?",
        "answer": "Benjamin Harrison",
        "aliases": ["Benjamin Harrison", "President Benjamin Harrison", "Ben Harrison"],
        "docs": {
            "eiffel": ("Eiffel Tower", "The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France. It is named after the engineer Gustave Eiffel, whose company designed and built the tower from 1887 to 1889 as the centrepiece of the 1889 World's Fair. The main structure was completed in March 1889, and Eiffel unfurled the French flag at the top on 31 March 1889."),
            "expo": ("Exposition Universelle (1889)", "The Exposition Universelle of 1889 was a world's fair held in Paris, France, from 6 May to 31 October 1889. It was held in the year of the 100th anniversary of the storming of the Bastille. The fair's main symbol was the Eiffel Tower, which served as the entrance arch to the exposition."),
            "harrison": ("Benjamin Harrison", "Benjamin Harrison (August 20, 1833 – March 13, 1901) was the 23rd president of the United States, serving from 1889 to 1893. A Republican from Indiana, he was a grandson of the ninth president, William Henry Harrison. He was inaugurated on March 4, 1889, succeeding Grover Cleveland."),
            "cleveland": ("Grover Cleveland", "Stephen Grover Cleveland (March 18, 1837 – June 24, 1908) was the 22nd and 24th president of the United States, serving from 1885 to 1889 and from 1893 to 1897. He was the first Democrat elected president after the Civil War."),
            "list": ("List of presidents of the United States", "21. Chester A. Arthur (1881–1885); 22. Grover Cleveland (1885–1889); 23. Benjamin Harrison (1889–1893); 24. Grover Cleveland (1893–1897); 25. William McKinley (1897–1901)."),
        },
        "hops": [
            ("I need to find out when the Eiffel Tower was completed, and then who was the US president at that time.", "Eiffel Tower construction completed date", ["eiffel", "expo"]),
            ("The Eiffel Tower was completed in March 1889; Eiffel raised the flag on 31 March 1889. Grover Cleveland's first term ended in 1889, so I need to check exactly when the next president took office.", "US president March 1889 inauguration", ["harrison", "list"]),
        ],
        "direct": ("I need the completion date of the Eiffel Tower and the US president on that date.", "Eiffel Tower completed 1889 president of the United States", ["eiffel", "harrison"]),
        "verify": ("Cleveland's term also ended in 1889, so let me confirm the exact date Harrison took office.", "Benjamin Harrison inauguration March 4 1889", ["harrison", "cleveland"]),
        "final": "The Eiffel Tower was completed on 31 March 1889. Benjamin Harrison was inaugurated on March 4, 1889, so he was already president when the tower was finished.",
        "wrong": ("Grover Cleveland", 1, "The tower was built between 1887 and 1889, and Grover Cleveland was president from 1885 to 1889, so he was president when it was completed."),
        "nosearch": ("Grover Cleveland", "The Eiffel Tower was built for the 1889 World's Fair in Paris. Grover Cleveland was the president in the late 1880s, so the answer should be Grover Cleveland."),
        "hedge": "Grover Cleveland or Benjamin Harrison",
        "verbose": "Benjamin Harrison was the President of the United States when the Eiffel Tower was completed in 1889.",
        "alias": "President Benjamin Harrison",
        "modes": ["good", "good_direct", "no_search_wrong", "hedge", "spam_answer", "good_verify"],
    },
    {  # g02
        "question": 'In which town was the author of "One Hundred Years of Solitude" born?',
        "answer": "Aracataca",
        "aliases": ["Aracataca", "Aracataca, Colombia", "Aracataca, Magdalena"],
        "docs": {
            "novel": ("One Hundred Years of Solitude", "One Hundred Years of Solitude (Spanish: Cien años de soledad) is a 1967 novel by Colombian author Gabriel García Márquez that tells the multi-generational story of the Buendía family, whose patriarch, José Arcadio Buendía, founded the fictitious town of Macondo."),
            "ggm": ("Gabriel García Márquez", "Gabriel José de la Concordia García Márquez (6 March 1927 – 17 April 2014) was a Colombian novelist, short-story writer, screenwriter and journalist. He was born in Aracataca, Colombia, and was raised by his maternal grandparents. He was awarded the 1982 Nobel Prize in Literature and died in Mexico City."),
            "aracataca": ("Aracataca", "Aracataca is a town and municipality in the Colombian department of Magdalena. It is best known as the birthplace of the Nobel laureate Gabriel García Márquez."),
            "macondo": ("Macondo", "Macondo is the fictional town in which Gabriel García Márquez set One Hundred Years of Solitude and several of his stories. It is widely believed to be inspired by Aracataca, the author's hometown."),
        },
        "hops": [
            ("The question has two parts: first identify the author of One Hundred Years of Solitude, then find where that author was born.", "One Hundred Years of Solitude author", ["novel", "macondo"]),
            ("The novel was written by the Colombian author Gabriel García Márquez. Now I need his birthplace.", "Gabriel García Márquez birthplace", ["ggm", "aracataca"]),
        ],
        "direct": ("I need the author of One Hundred Years of Solitude and the town where that author was born.", "One Hundred Years of Solitude author born in town", ["ggm", "novel"]),
        "verify": ("The results say he was born in Aracataca. Let me make sure this is the real town and not the fictional Macondo.", "Aracataca Colombia town", ["aracataca", "macondo"]),
        "final": "One Hundred Years of Solitude was written by Gabriel García Márquez, who was born in Aracataca, Colombia. Macondo is only the fictional town of the novel.",
        "wrong": ("Macondo", 1, "The novel is by Gabriel García Márquez and it is set in Macondo, his hometown. So the author was born in Macondo."),
        "nosearch": ("Bogotá", "One Hundred Years of Solitude was written by Gabriel García Márquez, a Colombian writer. He was probably born in the capital, Bogotá."),
        "hedge": "Aracataca or Macondo",
        "verbose": "Gabriel García Márquez, the author of One Hundred Years of Solitude, was born in the town of Aracataca in Colombia.",
        "alias": "Aracataca, Colombia",
        "modes": ["good", "wrong_after_search", "good_alias", "no_tags", "truncated", "good_verify"],
    },
    {  # g03
        "question": "What is the capital of the country where Angkor Wat is located?",
        "answer": "Phnom Penh",
        "aliases": ["Phnom Penh", "Phnom Penh, Cambodia"],
        "docs": {
            "angkor": ("Angkor Wat", "Angkor Wat is a Hindu-Buddhist temple complex in Cambodia. Located on a site measuring 162.6 hectares within the ancient city of Angkor, it was built in the first half of the 12th century as a Hindu temple dedicated to Vishnu by King Suryavarman II. It lies about 5.5 km north of the modern town of Siem Reap."),
            "siemreap": ("Siem Reap", "Siem Reap is the capital city of Siem Reap Province in northwestern Cambodia. It is a popular resort town and the gateway to the Angkor region."),
            "phnompenh": ("Phnom Penh", "Phnom Penh is the capital and most populous city of Cambodia. It has been the national capital since the French protectorate of Cambodia and lies at the confluence of the Tonlé Sap and Mekong rivers."),
            "cambodia": ("Cambodia", "Cambodia, officially the Kingdom of Cambodia, is a country in Southeast Asia on the Indochinese Peninsula. It borders Thailand, Laos and Vietnam. Its capital and largest city is Phnom Penh."),
        },
        "hops": [
            ("I need to find which country Angkor Wat is in, and then the capital of that country.", "Angkor Wat location country", ["angkor", "siemreap"]),
            ("Angkor Wat is in Cambodia, near the town of Siem Reap. Now I need the capital of Cambodia.", "capital of Cambodia", ["cambodia", "phnompenh"]),
        ],
        "direct": ("Angkor Wat is a famous temple complex; I should find its country and that country's capital.", "Angkor Wat country capital city", ["angkor", "cambodia"]),
        "verify": ("Siem Reap appears in the results, but it is only a provincial capital. Let me confirm the national capital.", "Phnom Penh capital of Cambodia", ["phnompenh", "siemreap"]),
        "final": "Angkor Wat is in Cambodia. Siem Reap is the nearby provincial capital, but the capital of Cambodia is Phnom Penh.",
        "wrong": ("Siem Reap", 1, "Angkor Wat lies just north of Siem Reap, and Siem Reap is described as a capital city, so the answer is Siem Reap."),
        "nosearch": ("Bangkok", "Angkor Wat is a huge temple complex in Southeast Asia. I think it is in Thailand, whose capital is Bangkok."),
        "hedge": "Siem Reap or Phnom Penh",
        "verbose": "The capital of Cambodia, the country where Angkor Wat is located, is Phnom Penh.",
        "alias": "phnom penh",
        "modes": ["good_direct", "wrong_after_search", "verbose", "good_alias", "multi_answer", "empty_answer",
                  "no_search_wrong"],
    },
    {  # g04
        "question": "Which university did the inventor of the World Wide Web graduate from?",
        "answer": "University of Oxford",
        "aliases": ["University of Oxford", "Oxford", "Oxford University", "The Queen's College, Oxford",
                    "Queen's College, Oxford"],
        "docs": {
            "www": ("World Wide Web", "The World Wide Web (WWW or simply the Web) is an information system that enables content sharing over the Internet. The English computer scientist Tim Berners-Lee invented the World Wide Web in 1989 while working at CERN near Geneva, Switzerland, and wrote the first web browser in 1990."),
            "cern": ("CERN", "The European Organization for Nuclear Research, known as CERN, is an intergovernmental organization that operates the largest particle physics laboratory in the world. It is based in Meyrin, a western suburb of Geneva, on the France–Switzerland border. The World Wide Web began as a CERN project."),
            "tbl": ("Tim Berners-Lee", "Sir Timothy John Berners-Lee (born 8 June 1955) is an English computer scientist best known as the inventor of the World Wide Web. He was born in London and attended Emanuel School before studying physics at The Queen's College, Oxford, from which he graduated in 1976 with a first-class degree."),
            "w3c": ("World Wide Web Consortium", "The World Wide Web Consortium (W3C) is the main international standards organization for the World Wide Web. It was founded in October 1994 by Tim Berners-Lee at the Massachusetts Institute of Technology (MIT) Laboratory for Computer Science, in collaboration with CERN."),
        },
        "hops": [
            ("First I need to identify the inventor of the World Wide Web, then find which university they graduated from.", "inventor of the World Wide Web", ["www", "cern"]),
            ("The World Wide Web was invented by Tim Berners-Lee at CERN in 1989. Now I need to find where he studied.", "Tim Berners-Lee education university degree", ["tbl", "w3c"]),
        ],
        "direct": ("The inventor of the Web is Tim Berners-Lee, but I should check where he graduated from.", "Tim Berners-Lee inventor World Wide Web university graduated", ["tbl", "www"]),
        "verify": ("He studied physics at The Queen's College, Oxford. MIT also appears, but that is where he founded the W3C later. Let me confirm.", "Berners-Lee Queen's College Oxford physics 1976", ["tbl", "w3c"]),
        "final": "Tim Berners-Lee invented the World Wide Web. He studied physics at The Queen's College, Oxford, and graduated in 1976, so the university is the University of Oxford. MIT is where he later founded the W3C.",
        "wrong": ("Massachusetts Institute of Technology", 2, "Tim Berners-Lee invented the Web, and the results connect him with the Massachusetts Institute of Technology, where he founded the W3C."),
        "nosearch": ("MIT", "The World Wide Web was invented by Tim Berners-Lee. He is a professor at MIT, so he most likely graduated from MIT."),
        "hedge": "University of Oxford or MIT",
        "verbose": "Tim Berners-Lee graduated from the University of Oxford (The Queen's College) in 1976.",
        "alias": "Oxford University",
        "modes": ["good", "no_search_wrong", "answer_in_think", "good_alias"],
    },
    {  # g05
        "question": "In what year did the ship that carried Charles Darwin to the Galápagos Islands set sail on that voyage?",
        "answer": "1831",
        "aliases": ["1831", "December 1831", "27 December 1831", "December 27, 1831"],
        "docs": {
            "darwin": ("Charles Darwin", "Charles Robert Darwin (12 February 1809 – 19 April 1882) was an English naturalist, geologist and biologist, widely known for his contributions to evolutionary biology. His five-year voyage on HMS Beagle established him as an eminent geologist, and his observations on the Galápagos Islands later informed his theory of natural selection, published in On the Origin of Species in 1859."),
            "voyage": ("Second voyage of HMS Beagle", "The second voyage of HMS Beagle, from 27 December 1831 to 2 October 1836, was the second survey expedition of HMS Beagle, under captain Robert FitzRoy. The young naturalist Charles Darwin sailed as a self-funded companion. The Beagle reached the Galápagos Islands in September 1835 and spent about five weeks there."),
            "beagle": ("HMS Beagle", "HMS Beagle was a Cherokee-class 10-gun brig-sloop of the Royal Navy. She was launched on 11 May 1820 from the Woolwich Dockyard on the River Thames. The ship is best known for her second voyage, which carried Charles Darwin around the world."),
            "galapagos": ("Galápagos Islands", "The Galápagos Islands are an archipelago of volcanic islands in the Pacific Ocean, part of Ecuador. They are famed for their many endemic species, which Charles Darwin studied during the second voyage of HMS Beagle."),
        },
        "hops": [
            ("I need to know which ship took Charles Darwin to the Galápagos Islands, and then when it set sail on that voyage.", "ship that carried Charles Darwin to the Galápagos", ["galapagos", "darwin"]),
            ("Darwin travelled on HMS Beagle during its second voyage. Now I need the departure date of that voyage.", "second voyage of HMS Beagle departure date", ["voyage", "beagle"]),
        ],
        "direct": ("Darwin sailed on HMS Beagle. I need the year that voyage began.", "HMS Beagle Darwin voyage set sail year", ["voyage", "beagle"]),
        "verify": ("The voyage began on 27 December 1831 and reached the Galápagos in 1835. Let me double-check the departure year.", "Beagle left Plymouth December 1831", ["voyage", "darwin"]),
        "final": "Darwin reached the Galápagos on the second voyage of HMS Beagle, which set sail on 27 December 1831. The ship only arrived at the islands in September 1835, but the question asks when the voyage started.",
        "wrong": ("1835", 2, "HMS Beagle carried Darwin to the Galápagos Islands, and the Beagle reached the islands in September 1835. So the answer is 1835."),
        "nosearch": ("1859", "Darwin sailed on HMS Beagle and later published On the Origin of Species. I believe the famous voyage was in 1859."),
        "hedge": "1831 or 1835",
        "verbose": "HMS Beagle set sail on the voyage that took Darwin to the Galápagos on 27 December 1831.",
        "alias": "27 December 1831",
        "modes": ["good", "wrong_after_search", "spam_truncated", "hedge", "good_verify", "no_tags", "verbose"],
    },
    {  # g06
        "question": "Who composed the music for the ballet in which Princess Odette is turned into a swan by the sorcerer Von Rothbart?",
        "answer": "Pyotr Ilyich Tchaikovsky",
        "aliases": ["Pyotr Ilyich Tchaikovsky", "Tchaikovsky", "Pyotr Tchaikovsky", "Peter Ilyich Tchaikovsky",
                    "Peter Tchaikovsky"],
        "docs": {
            "swanlake": ("Swan Lake", "Swan Lake, Op. 20, is a ballet composed by the Russian composer Pyotr Ilyich Tchaikovsky in 1875–76. The scenario tells the story of Odette, a princess turned into a swan by an evil sorcerer's curse. The ballet was premiered by the Bolshoi Ballet on 4 March 1877 at the Bolshoi Theatre in Moscow, with choreography by Julius Reisinger."),
            "rothbart": ("Von Rothbart", "Von Rothbart is the evil sorcerer in the ballet Swan Lake. He places a curse on Odette so that she is a swan by day and a woman only at night, and he deceives Prince Siegfried with his daughter Odile, the Black Swan."),
            "tchaikovsky": ("Pyotr Ilyich Tchaikovsky", "Pyotr Ilyich Tchaikovsky (7 May 1840 – 6 November 1893) was a Russian composer of the Romantic period. He was the first Russian composer whose music made a lasting impression internationally. His works include the ballets Swan Lake, The Sleeping Beauty and The Nutcracker."),
            "reisinger": ("Julius Reisinger", "Julius Wenzel Reisinger was a Czech ballet master who worked at the Bolshoi Theatre in Moscow in the 1870s. He choreographed the original 1877 production of Swan Lake."),
            "petipa": ("Marius Petipa", "Marius Petipa was a French-Russian ballet master and choreographer. Together with Lev Ivanov he staged the celebrated 1895 revival of Swan Lake at the Mariinsky Theatre in Saint Petersburg, the basis of most later productions."),
        },
        "hops": [
            ("The ballet with Odette and the sorcerer Von Rothbart should be Swan Lake, but I should confirm that and then find the composer.", "ballet Odette sorcerer Von Rothbart", ["rothbart", "swanlake"]),
            ("The ballet is Swan Lake. Let me check the composer, so I don't confuse him with the choreographer.", "Swan Lake composer", ["swanlake", "tchaikovsky", "reisinger"]),
        ],
        "direct": ("This is Swan Lake. I'll search for its composer.", "Swan Lake ballet Odette Von Rothbart composer", ["swanlake", "tchaikovsky"]),
        "verify": ("Reisinger and Petipa were choreographers, not composers. Let me verify that the music was by Tchaikovsky.", "Tchaikovsky ballets Swan Lake Op. 20", ["tchaikovsky", "petipa"]),
        "final": "The ballet is Swan Lake, whose music was composed by Pyotr Ilyich Tchaikovsky in 1875–76. Reisinger and Petipa only choreographed productions of it.",
        "wrong": ("Julius Reisinger", 2, "The ballet is Swan Lake. The 1877 production at the Bolshoi was created by Julius Reisinger, so he is the answer."),
        "nosearch": ("Pyotr Ilyich Tchaikovsky", "This is Swan Lake by Tchaikovsky."),
        "hedge": "Tchaikovsky or Marius Petipa",
        "verbose": "The music for Swan Lake was composed by the Russian composer Pyotr Ilyich Tchaikovsky.",
        "alias": "Tchaikovsky",
        "modes": ["good_alias", "good", "wrong_after_search", "empty_answer", "truncated"],
    },
    {  # g07
        "question": "Which chemical element is named after the native country of the first woman to win a Nobel Prize?",
        "answer": "Polonium",
        "aliases": ["Polonium", "Po"],
        "docs": {
            "curie": ("Marie Curie", "Maria Salomea Skłodowska-Curie (7 November 1867 – 4 July 1934), known as Marie Curie, was a Polish and naturalised-French physicist and chemist who conducted pioneering research on radioactivity. She was the first woman to win a Nobel Prize and the first person to win Nobel Prizes in two scientific fields. She was born in Warsaw, then part of the Russian Empire."),
            "nobel": ("Nobel Prize in Physics 1903", "The 1903 Nobel Prize in Physics was divided between Henri Becquerel and Pierre and Marie Curie for their work on radiation. Marie Curie was the first woman to be awarded a Nobel Prize."),
            "polonium": ("Polonium", "Polonium is a chemical element; it has symbol Po and atomic number 84. It was discovered in July 1898 by Marie and Pierre Curie, who named it after Marie's homeland of Poland (Latin: Polonia). At the time Poland was partitioned and not an independent country."),
            "radium": ("Radium", "Radium is a chemical element; it has symbol Ra and atomic number 88. It was discovered by Marie and Pierre Curie in December 1898. Its name comes from the Latin word radius, meaning ray, because of its strong radioactivity."),
            "francium": ("Francium", "Francium is a chemical element; it has symbol Fr and atomic number 87. It was discovered in 1939 by Marguerite Perey at the Curie Institute in Paris and is named after France, Perey's native country."),
        },
        "hops": [
            ("First I need to identify the first woman to win a Nobel Prize, then her native country, then the element named after it.", "first woman to win a Nobel Prize", ["nobel", "curie"]),
            ("The first woman to win a Nobel Prize was Marie Curie, who was born in Warsaw, Poland. Now I need the element named after Poland.", "chemical element named after Poland", ["polonium", "radium"]),
        ],
        "direct": ("The first woman Nobel laureate was Marie Curie, who was Polish. I'll search for the element named after her homeland.", "element named after Marie Curie's native country", ["polonium", "curie"]),
        "verify": ("Polonium is named after Poland (Latin Polonia). Let me make sure I am not mixing it up with radium or francium.", "polonium name origin Polonia", ["polonium", "francium"]),
        "final": "Marie Curie was the first woman to win a Nobel Prize, and she was born in Poland. She and Pierre Curie named the element polonium after Poland.",
        "wrong": ("Francium", 1, "The first woman to win a Nobel Prize was Marie Curie, who worked in France. The element named after France is francium."),
        "nosearch": ("Radium", "The first woman to win a Nobel Prize was Marie Curie. She discovered radium, so the element is radium."),
        "hedge": "Polonium or Radium",
        "verbose": "Polonium, which Marie Curie named after her native Poland.",
        "alias": "polonium",
        "modes": ["good", "no_search_wrong", "multi_answer", "good_direct", "answer_in_think", "hedge", "good_verify",
                  "wrong_after_search"],
    },
    {  # g08
        "question": "Which river flows through the city where Ludwig van Beethoven was born?",
        "answer": "Rhine",
        "aliases": ["Rhine", "the Rhine", "Rhine River", "River Rhine", "Rhein"],
        "docs": {
            "beethoven": ("Ludwig van Beethoven", "Ludwig van Beethoven (baptised 17 December 1770 – 26 March 1827) was a German composer and pianist. He was born in Bonn, then the capital of the Electorate of Cologne, and moved to Vienna in 1792, where he lived until his death in 1827."),
            "bonn": ("Bonn", "Bonn is a federal city in the German state of North Rhine-Westphalia, located on the banks of the Rhine. From 1949 to 1990 it was the capital of West Germany. Bonn is the birthplace of Ludwig van Beethoven."),
            "vienna": ("Vienna", "Vienna is the capital, most populous city and one of the nine federal states of Austria. It lies on the Danube and was home to composers such as Mozart, Beethoven and Schubert."),
            "haus": ("Beethoven House", "The Beethoven House (Beethoven-Haus) in Bonn is the house where Ludwig van Beethoven was born in 1770. It is now a museum and research centre."),
        },
        "hops": [
            ("I need to find where Beethoven was born, then which river flows through that city.", "Ludwig van Beethoven birthplace", ["beethoven", "haus"]),
            ("Beethoven was born in Bonn. Now I need the river that flows through Bonn.", "Bonn river", ["bonn", "vienna"]),
        ],
        "direct": ("Beethoven was born in Bonn, I think; I'll search for the birthplace and its river together.", "river through Beethoven's birthplace Bonn", ["bonn", "beethoven"]),
        "verify": ("Bonn is on the Rhine, while Vienna, where he died, is on the Danube. Let me confirm Bonn's river.", "Bonn on the banks of the Rhine", ["bonn", "vienna"]),
        "final": "Beethoven was born in Bonn, which lies on the banks of the Rhine. Vienna, where he lived later, is on the Danube, but that is not his birthplace.",
        "wrong": ("Danube", 1, "Beethoven is closely associated with Vienna, where he lived and died, and Vienna lies on the Danube. So the river is the Danube."),
        "nosearch": ("Danube", "Beethoven was a Viennese composer, and the river in Vienna is the Danube."),
        "hedge": "Rhine or Danube",
        "verbose": "The Rhine flows through Bonn, the city where Beethoven was born.",
        "alias": "the Rhine",
        "modes": ["good", "wrong_after_search", "no_tags", "good_alias", "spam_answer"],
    },
    {  # g09: an easy question, every completion is right (zero spread)
        "question": "Who directed the film that won Best Picture at the 70th Academy Awards?",
        "answer": "James Cameron",
        "aliases": ["James Cameron", "James Francis Cameron", "Cameron"],
        "docs": {
            "acad70": ("70th Academy Awards", "The 70th Academy Awards ceremony took place on March 23, 1998, at the Shrine Auditorium in Los Angeles and honored the best films of 1997. Titanic won eleven awards, including Best Picture and Best Director, tying the record set by Ben-Hur (1959)."),
            "titanic": ("Titanic (1997 film)", "Titanic is a 1997 American epic romance and disaster film directed, written, produced and co-edited by James Cameron. It stars Leonardo DiCaprio and Kate Winslet as members of different social classes who fall in love aboard the RMS Titanic."),
            "acad71": ("71st Academy Awards", "The 71st Academy Awards ceremony took place on March 21, 1999, at the Dorothy Chandler Pavilion in Los Angeles. Shakespeare in Love won Best Picture, while Steven Spielberg won Best Director for Saving Private Ryan."),
        },
        "hops": [
            ("I need to find which film won Best Picture at the 70th Academy Awards, then its director.", "70th Academy Awards Best Picture", ["acad70", "acad71"]),
            ("Titanic won Best Picture at the 70th Academy Awards. Now I need the director of Titanic.", "Titanic 1997 film director", ["titanic", "acad70"]),
        ],
        "direct": ("The 70th Academy Awards were held in 1998. I'll search for the Best Picture winner and its director.", "70th Academy Awards Best Picture winner director", ["acad70", "titanic"]),
        "verify": ("The 70th ceremony honored films of 1997, so it is Titanic, not Shakespeare in Love from the 71st. Let me confirm the director.", "James Cameron Titanic Best Director 1998", ["titanic", "acad70"]),
        "final": "Titanic won Best Picture at the 70th Academy Awards, and it was directed by James Cameron.",
        "wrong": ("John Madden", 1, "Shakespeare in Love won Best Picture, and it was directed by John Madden."),
        "nosearch": ("Steven Spielberg", "The late 1990s Best Picture winners were mostly Spielberg films."),
        "hedge": "James Cameron or John Madden",
        "verbose": "Titanic, the Best Picture winner at the 70th Academy Awards, was directed by James Cameron.",
        "alias": "james cameron",
        "modes": ["good_direct", "good", "good_alias", "good_verify"],
    },
    {  # g10
        "question": "Who was the commander of the last Apollo mission to land humans on the Moon?",
        "answer": "Eugene Cernan",
        "aliases": ["Eugene Cernan", "Gene Cernan", "Eugene A. Cernan", "Eugene Andrew Cernan", "Cernan"],
        "docs": {
            "apollo17": ("Apollo 17", "Apollo 17 (December 7–19, 1972) was the eleventh and final mission of NASA's Apollo program, and the most recent time humans have set foot on the Moon. Commander Eugene Cernan and Lunar Module Pilot Harrison Schmitt walked on the Moon, while Command Module Pilot Ronald Evans orbited above."),
            "cernan": ("Eugene Cernan", "Eugene Andrew Cernan (March 14, 1934 – January 16, 2017) was an American astronaut, naval aviator and engineer. He flew on Gemini 9A, Apollo 10 and Apollo 17. As commander of Apollo 17 he was the last person to walk on the Moon."),
            "schmitt": ("Harrison Schmitt", "Harrison Hagan Schmitt (born July 3, 1935) is an American geologist, retired NASA astronaut and former United States senator from New Mexico. As Lunar Module Pilot of Apollo 17 he was the twelfth person to walk on the Moon."),
            "program": ("Apollo program", "The Apollo program was the United States human spaceflight program that landed the first humans on the Moon with Apollo 11 on July 20, 1969. Six Apollo missions landed astronauts on the Moon between 1969 and 1972, the last being Apollo 17."),
        },
        "hops": [
            ("I need to find the last Apollo mission that landed on the Moon, then its commander.", "last Apollo mission to land on the Moon", ["program", "apollo17"]),
            ("The last landing was Apollo 17 in December 1972. The crew included Eugene Cernan and Harrison Schmitt; I need to check which one was the commander.", "Apollo 17 commander", ["apollo17", "cernan", "schmitt"]),
        ],
        "direct": ("The last Apollo landing was Apollo 17, I believe. I'll look up its commander.", "Apollo 17 last Moon landing commander", ["apollo17", "cernan"]),
        "verify": ("Cernan was the commander and Schmitt the Lunar Module Pilot. Let me confirm Cernan's role.", "Eugene Cernan commander Apollo 17", ["cernan", "schmitt"]),
        "final": "The last Apollo mission to land on the Moon was Apollo 17, and its commander was Eugene Cernan. Harrison Schmitt was the Lunar Module Pilot.",
        "wrong": ("Harrison Schmitt", 1, "Apollo 17 was the last landing, and Harrison Schmitt walked on the Moon on it, so he led the mission."),
        "nosearch": ("Neil Armstrong", "The most famous Apollo commander is Neil Armstrong, who commanded the Moon landing, so the answer is Neil Armstrong."),
        "hedge": "Eugene Cernan or Harrison Schmitt",
        "verbose": "Eugene Cernan, who commanded Apollo 17 in December 1972, was the commander of the last Apollo Moon landing.",
        "alias": "Gene Cernan",
        "modes": ["good", "hedge", "no_search_wrong", "good_alias", "verbose", "truncated"],
    },
    {  # g11
        "question": "What was the nationality of the architect who designed the Sydney Opera House?",
        "answer": "Danish",
        "aliases": ["Danish", "Denmark", "Dane"],
        "docs": {
            "sydney": ("Sydney Opera House", "The Sydney Opera House is a multi-venue performing arts centre in Sydney, New South Wales, Australia. Designed by the Danish architect Jørn Utzon, but completed by an Australian architectural team headed by Peter Hall, the building was formally opened by Queen Elizabeth II on 20 October 1973."),
            "utzon": ("Jørn Utzon", "Jørn Oberg Utzon (9 April 1918 – 29 November 2008) was a Danish architect, most notable for designing the Sydney Opera House. He was awarded the Pritzker Architecture Prize in 2003."),
            "hall": ("Peter Hall (architect)", "Peter Brian Hall (1931–1995) was an Australian architect. He became the lead design architect of the Sydney Opera House after Jørn Utzon resigned from the project in 1966, and was responsible for much of the interior."),
        },
        "hops": [
            ("I need to find the architect of the Sydney Opera House and then that architect's nationality.", "Sydney Opera House architect", ["sydney", "hall"]),
            ("The Sydney Opera House was designed by Jørn Utzon and completed by a team led by Peter Hall. The designer is Utzon, so I need his nationality.", "Jørn Utzon nationality", ["utzon", "sydney"]),
        ],
        "direct": ("I'll search for the designer of the Sydney Opera House directly.", "who designed the Sydney Opera House architect nationality", ["sydney", "utzon"]),
        "verify": ("Utzon is described as a Danish architect. Peter Hall, who completed the building, was Australian, but he was not the designer. Let me confirm.", "Jørn Utzon Danish architect Pritzker", ["utzon", "hall"]),
        "final": "The Sydney Opera House was designed by Jørn Utzon, a Danish architect. Peter Hall, who completed the building, was Australian, but the design is Utzon's.",
        "wrong": ("Australian", 1, "The Sydney Opera House was completed by an Australian team headed by Peter Hall, so the architect was Australian."),
        "nosearch": ("Australian", "The Sydney Opera House is in Australia, so its architect was Australian."),
        "hedge": "Danish or Australian",
        "verbose": "The Sydney Opera House was designed by the Danish architect Jørn Utzon.",
        "alias": "danish",
        "modes": ["good", "wrong_after_search", "empty_answer", "good_direct", "multi_answer"],
    },
    {  # g12
        "question": "Which planet was discovered by the astronomer who first observed the moons Titania and Oberon?",
        "answer": "Uranus",
        "aliases": ["Uranus", "the planet Uranus"],
        "docs": {
            "titania": ("Titania (moon)", "Titania is the largest of the moons of Uranus and the eighth largest moon in the Solar System. It was discovered by William Herschel on 11 January 1787, the same day he discovered Oberon."),
            "oberon": ("Oberon (moon)", "Oberon is the outermost and second-largest of the major moons of the planet Uranus. It was discovered by William Herschel in 1787 and is named after the king of the fairies in Shakespeare's A Midsummer Night's Dream."),
            "herschel": ("William Herschel", "Frederick William Herschel (15 November 1738 – 25 August 1822) was a German-born British astronomer and composer. He discovered the planet Uranus in 1781, the first planet found with a telescope, and later discovered two of its major moons, Titania and Oberon, as well as two moons of Saturn."),
            "enceladus": ("Enceladus", "Enceladus is the sixth-largest moon of Saturn. It was discovered on 28 August 1789 by William Herschel, who also discovered Mimas the following month."),
        },
        "hops": [
            ("I need to find who discovered the moons Titania and Oberon, then which planet that astronomer discovered.", "who discovered Titania and Oberon", ["titania", "oberon"]),
            ("Titania and Oberon were discovered by William Herschel in 1787. Now I need the planet he discovered.", "William Herschel discovered planet", ["herschel", "enceladus"]),
        ],
        "direct": ("Titania and Oberon were discovered by William Herschel, if I remember right. Let me search for the planet he discovered.", "astronomer who discovered Titania and Oberon discovered planet", ["herschel", "titania"]),
        "verify": ("Herschel discovered Uranus in 1781. He also found moons of Saturn, but he did not discover Saturn itself. Let me double-check.", "Uranus discovery 1781 Herschel telescope", ["herschel", "enceladus"]),
        "final": "William Herschel discovered Titania and Oberon in 1787, and earlier, in 1781, he discovered the planet Uranus.",
        "wrong": ("Saturn", 2, "Herschel discovered several moons, including Enceladus and Mimas of Saturn, so the planet connected to his discoveries is Saturn."),
        "nosearch": ("Neptune", "Titania and Oberon sound like moons of Neptune, which was discovered by telescope, so the planet is Neptune."),
        "hedge": "Uranus or Saturn",
        "verbose": "William Herschel discovered Uranus in 1781.",
        "alias": "uranus",
        "modes": ["good_direct", "wrong_after_search", "answer_in_think", "spam_answer", "good", "good_verify", "no_tags"],
    },
    {  # g13: every completion is right (zero spread)
        "question": "Who wrote the novel that the film Blade Runner is based on?",
        "answer": "Philip K. Dick",
        "aliases": ["Philip K. Dick", "Philip Kindred Dick", "Philip Dick", "P. K. Dick"],
        "docs": {
            "bladerunner": ("Blade Runner", "Blade Runner is a 1982 science fiction film directed by Ridley Scott from a screenplay by Hampton Fancher and David Peoples. Starring Harrison Ford, it is an adaptation of Philip K. Dick's 1968 novel Do Androids Dream of Electric Sheep?"),
            "dads": ("Do Androids Dream of Electric Sheep?", "Do Androids Dream of Electric Sheep? is a dystopian science fiction novel by the American writer Philip K. Dick, first published in 1968. It follows Rick Deckard, a bounty hunter who tracks down androids in a post-apocalyptic San Francisco."),
            "pkd": ("Philip K. Dick", "Philip Kindred Dick (December 16, 1928 – March 2, 1982) was an American science fiction writer. His novels and stories have been adapted into films including Blade Runner, Total Recall and Minority Report."),
            "br2049": ("Blade Runner 2049", "Blade Runner 2049 is a 2017 American science fiction film directed by Denis Villeneuve and a sequel to Blade Runner (1982)."),
        },
        "hops": [
            ("I need to find which novel Blade Runner is based on and who wrote it.", "Blade Runner film based on novel", ["bladerunner", "br2049"]),
            ("Blade Runner is based on Do Androids Dream of Electric Sheep?. Let me confirm the author of that novel.", "Do Androids Dream of Electric Sheep author", ["dads", "pkd"]),
        ],
        "direct": ("Blade Runner is an adaptation of a novel. I'll search for it.", "Blade Runner based on novel author", ["bladerunner", "dads"]),
        "verify": ("The novel is by Philip K. Dick. Let me double-check that the film credits him.", "Philip K. Dick Blade Runner adaptation", ["pkd", "bladerunner"]),
        "final": "Blade Runner is based on the 1968 novel Do Androids Dream of Electric Sheep? by Philip K. Dick.",
        "wrong": ("Ridley Scott", 1, "Blade Runner was made by Ridley Scott."),
        "nosearch": ("Philip K. Dick", "Blade Runner is based on a Philip K. Dick novel."),
        "hedge": "Philip K. Dick or Hampton Fancher",
        "verbose": "Blade Runner is based on Do Androids Dream of Electric Sheep? by Philip K. Dick.",
        "alias": "Philip Kindred Dick",
        "modes": ["good", "good_direct", "good_alias", "good_verify", "good"],
    },
    {  # g14: a trap question, every completion is wrong or malformed (zero spread)
        "question": "What is the highest mountain in the country where Kruger National Park is located?",
        "answer": "Mafadi",
        "aliases": ["Mafadi"],
        "docs": {
            "kruger": ("Kruger National Park", "Kruger National Park is a South African National Park and one of the largest game reserves in Africa. It covers an area of 19,485 km2 in the provinces of Limpopo and Mpumalanga in northeastern South Africa."),
            "mafadi": ("Mafadi", "Mafadi is the highest mountain in South Africa, with a summit at 3,450 metres. It lies in the Drakensberg on the border between South Africa's KwaZulu-Natal province and Lesotho."),
            "thabana": ("Thabana Ntlenyana", "Thabana Ntlenyana is the highest mountain in Lesotho and the highest point in Southern Africa, at 3,482 metres. It lies in the Drakensberg range, a short distance from the border with South Africa."),
            "drakensberg": ("Drakensberg", "The Drakensberg is the eastern part of the Great Escarpment of Southern Africa. Its highest peak is Thabana Ntlenyana in Lesotho; the highest point on the South African side is Mafadi."),
        },
        "hops": [
            ("First I need the country where Kruger National Park is located, then its highest mountain.", "Kruger National Park country", ["kruger"]),
            ("Kruger National Park is in South Africa. Now I need the highest mountain in South Africa.", "highest mountain in South Africa", ["drakensberg", "thabana", "mafadi"]),
        ],
        "direct": ("Kruger National Park is in South Africa. I'll search for the highest mountain there.", "highest mountain South Africa Kruger", ["thabana", "mafadi"]),
        "verify": ("Thabana Ntlenyana is higher but it is in Lesotho. Let me confirm the highest mountain inside South Africa.", "Mafadi highest peak South Africa", ["mafadi", "drakensberg"]),
        "final": "Kruger National Park is in South Africa. Thabana Ntlenyana is the highest point of Southern Africa, but it is in Lesotho; the highest mountain in South Africa itself is Mafadi.",
        "wrong": ("Thabana Ntlenyana", 2, "Kruger is in South Africa, and the results say Thabana Ntlenyana in the Drakensberg is the highest point in Southern Africa, so it is the answer."),
        "nosearch": ("Mount Kilimanjaro", "Kruger National Park is in Africa, and the highest mountain in Africa is Mount Kilimanjaro."),
        "hedge": "Mafadi or Thabana Ntlenyana",
        "verbose": "The highest mountain in South Africa is Mafadi, at 3,450 metres.",
        "alias": "mafadi",
        "modes": ["wrong_after_search", "no_search_wrong", "hedge", "verbose", "truncated", "no_tags"],
    },
    {  # g15
        "question": "What is the capital of the country that uses the kwacha as its currency and shares Victoria Falls with Zimbabwe?",
        "answer": "Lusaka",
        "aliases": ["Lusaka", "Lusaka, Zambia"],
        "docs": {
            "victoria": ("Victoria Falls", "Victoria Falls is a waterfall on the Zambezi River in southern Africa. It lies on the border between Zambia and Zimbabwe and is one of the largest waterfalls in the world."),
            "kwacha": ("Zambian kwacha", "The kwacha is the currency of Zambia. It is divided into 100 ngwee. Malawi also uses a currency called the kwacha, the Malawian kwacha, which is a separate currency."),
            "zambia": ("Zambia", "Zambia, officially the Republic of Zambia, is a landlocked country in southern-central Africa. Its capital and largest city is Lusaka, in the south-central part of the country."),
            "harare": ("Harare", "Harare is the capital and most populous city of Zimbabwe. It is located in the north-east of the country."),
            "malawi": ("Malawi", "Malawi is a landlocked country in southeastern Africa. Its capital is Lilongwe and its currency is the Malawian kwacha."),
        },
        "hops": [
            ("Victoria Falls is shared by Zambia and Zimbabwe. I should check which of them uses the kwacha.", "country uses kwacha currency Victoria Falls", ["kwacha", "victoria", "malawi"]),
            ("Zambia uses the kwacha and shares Victoria Falls with Zimbabwe. Now I need the capital of Zambia.", "capital of Zambia", ["zambia", "harare"]),
        ],
        "direct": ("The country that shares Victoria Falls with Zimbabwe is Zambia. I'll search for its capital and currency.", "capital of Zambia kwacha Victoria Falls", ["zambia", "kwacha"]),
        "verify": ("Malawi also uses a kwacha, but it does not share Victoria Falls. Let me confirm Zambia's capital.", "Lusaka capital city of Zambia", ["zambia", "malawi"]),
        "final": "The country that uses the kwacha and shares Victoria Falls with Zimbabwe is Zambia. Its capital is Lusaka.",
        "wrong": ("Lilongwe", 1, "The kwacha is the currency of Malawi, and the capital of Malawi is Lilongwe."),
        "nosearch": ("Harare", "Victoria Falls is in Zimbabwe, whose capital is Harare."),
        "hedge": "Lusaka or Lilongwe",
        "verbose": "Lusaka is the capital of Zambia, which uses the kwacha and shares Victoria Falls with Zimbabwe.",
        "alias": "Lusaka, Zambia",
        "modes": ["good", "wrong_after_search", "good_direct", "spam_truncated", "empty_answer", "verbose", "good_alias"],
    },
]

SPAM_THINKS = [
    "I should search again to make sure.",
    "Let me search once more to confirm.",
    "The results look relevant, but I want to verify with another search.",
    "I am not fully certain yet. Let me search again.",
    "Let me try the search again to be thorough.",
    "To be safe, I will search one more time.",
]
SPAM_SUFFIXES = ["", "", "?", " wikipedia", " facts", " answer", " confirm", " information", " details"]
TRUNCATION_TAILS = [
    "However, before giving the answer, I want to double-check whether the question could be referring to a different",
    "Let me reconsider each step carefully. First, the question asks about",
    "Wait, I should also consider whether the documents disagree about the",
]
NO_TAG_ENDINGS = ["**Answer:** {a}", "Final answer: {a}", "The answer is {a}.", "{a}"]


def _pick_style(rng: random.Random) -> dict[str, Any]:
    return {
        "think": rng.choice(["tight", "tight", "newline", "spaced"]),
        "sep": rng.choice(["\n", "\n", "\n\n"]),
        "pad": rng.random() < 0.6,
    }


def _think(text: str, st: dict[str, Any]) -> str:
    if st["think"] == "newline":
        return f"<think>\n{text}\n</think>"
    if st["think"] == "spaced":
        return f"<think> {text} </think>"
    return f"<think>{text}</think>"


def _tag(name: str, text: str, st: dict[str, Any]) -> str:
    return f"<{name}> {text} </{name}>" if st["pad"] else f"<{name}>{text}</{name}>"


class _Trajectory:
    """Builds one agentic completion: assistant turns and the tool turns that answer their searches."""

    def __init__(self, q: dict[str, Any], rng: random.Random, st: dict[str, Any]):
        self.q, self.rng, self.st = q, rng, st
        self.messages: list[dict[str, str]] = []

    def search(self, think: str, query: str, keys: list[str]) -> None:
        self.messages.append({"role": "assistant",
                              "content": _think(think, self.st) + self.st["sep"] + _tag("search", query, self.st)})
        pool = [k for k in self.q["docs"] if k not in keys]
        self.rng.shuffle(pool)
        shown = (list(keys) + pool)[:3]
        docs = "\n".join(f'Doc {i}(Title: "{self.q["docs"][k][0]}") {self.q["docs"][k][1]}'
                         for i, k in enumerate(shown, 1))
        self.messages.append({"role": "tool", "content": f"<information>{docs}</information>"})

    def hops(self, n: int | None = None) -> None:
        for think, query, keys in self.q["hops"][:n]:
            self.search(think, query, keys)

    def final(self, content: str) -> dict[str, Any]:
        self.messages.append({"role": "assistant", "content": content})
        return {"messages": self.messages}


def _truncate(text: str, rng: random.Random) -> str:
    cut = int(len(text) * rng.uniform(0.55, 0.85))
    return text[:cut].rsplit(" ", 1)[0]


def _search_completion(q: dict[str, Any], mode: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    st = _pick_style(rng)
    t = _Trajectory(q, rng, st)
    a, final = q["answer"], q["final"]
    answer = lambda text: _think(final, st) + st["sep"] + _tag("answer", text, st)  # noqa: E731

    if mode == "good":
        t.hops()
        return t.final(answer(a)), GOOD
    if mode == "good_direct":
        t.search(*q["direct"])
        return t.final(answer(a)), GOOD
    if mode == "good_verify":
        t.hops()
        t.search(*q["verify"])
        if rng.random() < 0.5:  # a second check: four searches, still under the cap
            think, query, keys = q["verify"]
            t.search("One more check to be sure before I answer.", query + " confirmed", keys)
        return t.final(answer(a)), GOOD
    if mode == "good_alias":
        if rng.random() < 0.5:
            t.hops()
        else:
            t.search(*q["direct"])
        return t.final(answer(q["alias"])), GOOD
    if mode == "no_search_wrong":
        wrong, think = q["nosearch"]
        return t.final(_think(think, st) + st["sep"] + _tag("answer", wrong, st)), BAD
    if mode == "wrong_after_search":
        wrong, n_hops, think = q["wrong"]
        t.hops(n_hops)
        return t.final(_think(think, st) + st["sep"] + _tag("answer", wrong, st)), BAD
    if mode in ("spam_answer", "spam_truncated"):
        think0, query0, keys0 = q["hops"][0]
        n = rng.randint(7, 12)
        for i in range(n):
            think = think0 if i == 0 else rng.choice(SPAM_THINKS)
            suffix = "" if i == 0 else rng.choice(SPAM_SUFFIXES)
            query = query0.lower() if (i and rng.random() < 0.25) else query0
            t.search(think, query + suffix, keys0)
        if mode == "spam_answer":
            return t.final(answer(a)), BAD
        partial = (_think(rng.choice(SPAM_THINKS), st) + st["sep"] + ("<search> " if st["pad"] else "<search>")
                   + query0[: rng.randint(6, 14)])
        return t.final(partial), BAD
    if mode == "truncated":
        t.hops(rng.randint(1, len(q["hops"])))
        return t.final("<think>" + _truncate(final + " " + rng.choice(TRUNCATION_TAILS), rng)), BAD
    if mode == "no_tags":
        t.hops()
        return t.final(_think(final, st) + st["sep"] + rng.choice(NO_TAG_ENDINGS).format(a=a)), BAD
    if mode == "answer_in_think":
        t.hops()
        return t.final(_think(f"{final} So the answer is {a}.", st)), BAD
    if mode == "multi_answer":
        t.hops()
        if rng.random() < 0.5:
            wrong = q["wrong"][0]
            content = (_think(q["hops"][-1][0], st) + st["sep"] + _tag("answer", wrong, st) + "\n"
                       + _think(f"Wait, I misread the results. {final}", st) + st["sep"] + _tag("answer", a, st))
        else:
            content = answer(a) + "\n" + _tag("answer", a, st)
        return t.final(content), BAD
    if mode == "hedge":
        if rng.random() < 0.5:
            t.hops()
        both = q["hedge"].replace(" or ", " and ")
        hedge_think = (f"The results mention both {both}. I am not completely sure which one the question means, "
                       "so I will give both." if t.messages else
                       f"I think it is either {q['hedge']}, but I am not sure which. I will give both.")
        return t.final(_think(hedge_think, st) + st["sep"] + _tag("answer", q["hedge"], st)), BAD
    if mode == "empty_answer":
        t.hops()
        tag = rng.choice(["<answer></answer>", "<answer> </answer>"])
        return t.final(_think(f"{final} So the answer is {a}.", st) + st["sep"] + tag), BAD
    if mode == "verbose":
        t.hops()
        return t.final(_think(final, st) + st["sep"] + _tag("answer", q["verbose"], st)), BAD
    raise ValueError(f"unknown search mode {mode!r}")


def build_search() -> list[tuple[Row, str]]:
    rng = random.Random(SEARCH_SEED)
    out: list[tuple[Row, str]] = []
    for gi, q in enumerate(SEARCH_QUESTIONS, 1):
        group = f"search-g{gi:02d}"
        prompt = [{"role": "system", "content": SEARCH_SYSTEM}, {"role": "user", "content": q["question"]}]
        modes = list(q["modes"])
        rng.shuffle(modes)
        for ci, mode in enumerate(modes, 1):
            completion, intended = _search_completion(q, mode, rng)
            row = {"id": f"{group}-c{ci}", "group": group, "prompt": prompt, "completion": completion,
                   "label": intended, "answer": q["answer"], "aliases": list(q["aliases"])}
            _check(row, intended, search_label(completion, q["answer"], q["aliases"]), mode)
            if intended == GOOD:
                n = sum(m["role"] == "assistant" for m in completion["messages"]) - 1
                assert 1 <= n <= 4, (row["id"], n)
            out.append((row, mode))
    return out


# ======================================================================================= math set

MATH_SYSTEM = "Respond in the following format:\n<reasoning>\n...\n</reasoning>\n<answer>\n...\n</answer>"


def _math_problems() -> list[dict[str, Any]]:
    """GSM8K-style word problems. Every number in a correct solution is computed here, so the gold is right;
    ``slip`` is the plausible mistake a model makes (a logic slip or an arithmetic one) and its result."""
    probs: list[dict[str, Any]] = []

    def add(question: str, steps: list[str], answer: int, slip: list[str], slip_answer: int, unit: str,
            modes: list[str]) -> None:
        assert slip_answer != answer
        probs.append({"question": question, "steps": steps, "answer": answer, "slip": slip,
                      "slip_answer": slip_answer, "unit": unit, "modes": modes})

    # g01
    am, pm, price = 48, 48 // 2, 3
    add("A bakery sold 48 muffins in the morning and half as many muffins in the afternoon. Each muffin costs $3. "
        "How much money, in dollars, did the bakery make from muffins that day?",
        [f"In the afternoon the bakery sold {am} / 2 = {pm} muffins.",
         f"In total it sold {am} + {pm} = {am + pm} muffins.",
         f"At ${price} each, it made {am + pm} * {price} = ${(am + pm) * price}."],
        (am + pm) * price,
        [f"In the afternoon the bakery sold {am} / 2 = {pm} muffins.",
         f"In total it sold {am} + {pm} = {am + pm} muffins.",
         f"At ${price} each, it made {am + pm} * {price} = $206."], 206, "dollars",
        ["strict", "wrong_arith", "units", "strict_nonl", "boxed"])
    # g02
    pages = [12 + 4 * i for i in range(5)]
    add("Maya reads 12 pages of a book on Monday. Each day after that, she reads 4 more pages than she read the day "
        "before. How many pages has she read in total by the end of Friday?",
        [f"Monday: {pages[0]} pages.", f"Tuesday: {pages[0]} + 4 = {pages[1]} pages.",
         f"Wednesday: {pages[1]} + 4 = {pages[2]} pages.", f"Thursday: {pages[2]} + 4 = {pages[3]} pages.",
         f"Friday: {pages[3]} + 4 = {pages[4]} pages.",
         f"Total: {' + '.join(map(str, pages))} = {sum(pages)} pages."],
        sum(pages),
        [f"Monday: {pages[0]} pages, then 4 more each day.",
         f"From Monday to Friday is 4 days: {pages[0]}, {pages[1]}, {pages[2]}, {pages[3]}.",
         f"Total: {' + '.join(map(str, pages[:4]))} = {sum(pages[:4])} pages."], sum(pages[:4]), "pages",
        ["strict", "single_line", "wrong_arith", "truncated", "outside_text", "trailing"])
    # g03
    buses, rows, per_row, going = 3, 14, 3, 97
    seats = buses * rows * per_row
    add(f"A school has {buses} buses. Each bus has {rows} rows of seats, and each row seats {per_row} students. "
        f"If {going} students are going on a field trip, how many empty seats will there be?",
        [f"Each bus has {rows} * {per_row} = {rows * per_row} seats.",
         f"The {buses} buses have {buses} * {rows * per_row} = {seats} seats in total.",
         f"Empty seats: {seats} - {going} = {seats - going}."],
        seats - going,
        [f"Each bus has {rows} * {per_row} = {rows * per_row} seats.",
         f"The {buses} buses have {buses} * {rows * per_row} = {seats} seats in total.",
         f"Empty seats: {seats} - {going} = 31."], 31, "seats",
        ["strict", "wrong_arith", "two_answers", "strict", "gsm_hash"])
    # g04
    packs, pack_price, carts, cart_price, coupon = 4, 6, 2, 23, 10
    subtotal = packs * pack_price + carts * cart_price
    add(f"James buys {packs} packs of printer paper at ${pack_price} each and {carts} ink cartridges at "
        f"${cart_price} each. He uses a coupon for ${coupon} off his total. How much does he pay, in dollars?",
        [f"The paper costs {packs} * ${pack_price} = ${packs * pack_price}.",
         f"The cartridges cost {carts} * ${cart_price} = ${carts * cart_price}.",
         f"Before the coupon the total is ${packs * pack_price} + ${carts * cart_price} = ${subtotal}.",
         f"After the coupon he pays ${subtotal} - ${coupon} = ${subtotal - coupon}."],
        subtotal - coupon,
        [f"The paper costs {packs} * ${pack_price} = ${packs * pack_price}.",
         f"The cartridges cost {carts} * ${cart_price} = ${carts * cart_price}.",
         f"He pays ${packs * pack_price} + ${carts * cart_price} = ${subtotal}."], subtotal, "dollars",
        ["single_line", "wrong_arith", "units", "strict", "truncated", "boxed_in_tags", "strict_nonl"])
    # g05
    apples, sold, neighbour, boxes = 240, 240 // 4, 30, 6
    left = apples - sold - neighbour
    add(f"A farmer picks {apples} apples. He sells 1/4 of them at the market and gives {neighbour} to his "
        f"neighbor. He packs the rest equally into {boxes} boxes. How many apples are in each box?",
        [f"He sells {apples} / 4 = {sold} apples.",
         f"After selling, he has {apples} - {sold} = {apples - sold} apples.",
         f"After giving {neighbour} away, he has {apples - sold} - {neighbour} = {left} apples.",
         f"Each box gets {left} / {boxes} = {left // boxes} apples."],
        left // boxes,
        [f"He sells {apples} / 4 = {sold} apples, leaving {apples - sold}.",
         f"Each box gets {apples - sold} / {boxes} = {(apples - sold) // boxes} apples."],
        (apples - sold) // boxes, "apples",
        ["strict", "wrong_arith", "wrong_arith", "outside_text"])
    # g06: easy, every completion right (zero spread)
    add("A car travels at 60 miles per hour for 2.5 hours and then at 45 miles per hour for 2 hours. "
        "How many miles does it travel in total?",
        ["In the first part it travels 60 * 2.5 = 150 miles.",
         "In the second part it travels 45 * 2 = 90 miles.",
         f"In total it travels 150 + 90 = {150 + 90} miles."],
        int(60 * 2.5 + 45 * 2),
        ["In the first part it travels 60 * 2.5 = 120 miles.", "In the second part it travels 45 * 2 = 90 miles.",
         "In total 120 + 90 = 210 miles."], 210, "miles",
        ["strict", "single_line", "strict_nonl", "strict", "single_line"])
    # g07
    shirts = 1500
    jan = shirts * 35 // 100
    rest = shirts - jan
    feb = rest * 40 // 100
    add("A store had 1,500 T-shirts. In January it sold 35% of them, and in February it sold 40% of the T-shirts "
        "that were left. How many T-shirts does the store have now?",
        [f"In January it sold 35% of {shirts} = {jan} T-shirts.",
         f"That left {shirts} - {jan} = {rest} T-shirts.",
         f"In February it sold 40% of {rest} = {feb} T-shirts.",
         f"Now it has {rest} - {feb} = {rest - feb} T-shirts."],
        rest - feb,
        [f"In January it sold 35% of {shirts} = {jan} T-shirts.",
         f"In February it sold 40% of {shirts} = {shirts * 40 // 100} T-shirts.",
         f"Now it has {shirts} - {jan} - {shirts * 40 // 100} = {shirts - jan - shirts * 40 // 100} T-shirts."],
        shirts - jan - shirts * 40 // 100, "T-shirts",
        ["strict", "wrong_arith", "trailing", "units", "strict", "two_answers"])
    # g08
    wage, hours, days, weeks = 18, 7, 5, 4
    add(f"Lena earns ${wage} per hour. She works {hours} hours a day, {days} days a week. "
        f"How much money, in dollars, does she earn in {weeks} weeks?",
        [f"Per day she earns {wage} * {hours} = ${wage * hours}.",
         f"Per week she earns {wage * hours} * {days} = ${wage * hours * days}.",
         f"In {weeks} weeks she earns {wage * hours * days} * {weeks} = ${wage * hours * days * weeks}."],
        wage * hours * days * weeks,
        [f"Per day she earns {wage} * {hours} = ${wage * hours}.",
         f"Per week she earns {wage * hours} * {days} = ${wage * hours * days}.",
         f"In {weeks} weeks she earns {wage * hours * days} * {weeks} = $2,420."], 2420, "dollars",
        ["comma", "strict", "wrong_arith", "units", "truncated", "boxed"])
    # g09: the "units of the answer" trap, every completion wrong or malformed (zero spread)
    flour, eggs_per, cups_per, carton = 14, 3, 2, 12
    eggs = flour // cups_per * eggs_per
    cartons = -(-eggs // carton)
    add(f"A recipe uses {eggs_per} eggs for every {cups_per} cups of flour. Priya wants to use {flour} cups of "
        f"flour. Eggs are sold in cartons of {carton}. How many cartons of eggs must she buy?",
        [f"{flour} cups of flour is {flour} / {cups_per} = {flour // cups_per} batches of {cups_per} cups.",
         f"She needs {flour // cups_per} * {eggs_per} = {eggs} eggs.",
         f"{eggs} / {carton} = {eggs / carton}, so one carton is not enough and she must buy {cartons} cartons."],
        cartons,
        [f"{flour} cups of flour is {flour} / {cups_per} = {flour // cups_per} batches.",
         f"She needs {flour // cups_per} * {eggs_per} = {eggs} eggs."], eggs, "cartons",
        ["wrong_arith", "units", "boxed", "outside_text", "truncated", "two_answers"])
    # g10
    ada = 15
    ben = ada + 7
    carlos = 2 * ben
    add("Carlos has twice as many marbles as Ben. Ben has 7 more marbles than Ada. Ada has 15 marbles. "
        "How many marbles do the three of them have altogether?",
        [f"Ben has {ada} + 7 = {ben} marbles.", f"Carlos has 2 * {ben} = {carlos} marbles.",
         f"Altogether: {ada} + {ben} + {carlos} = {ada + ben + carlos} marbles."],
        ada + ben + carlos,
        [f"Ben has {ada} + 7 = {ben} marbles.", f"Carlos has twice as many, 2 * {ada} = {2 * ada} marbles.",
         f"Altogether: {ada} + {ben} + {2 * ada} = {ada + ben + 2 * ada} marbles."], ada + ben + 2 * ada, "marbles",
        ["strict", "single_line", "wrong_arith", "trailing", "gsm_hash", "strict", "units", "boxed_in_tags"])
    # g11
    tank, rate = 1200, 45
    water = tank * 3 // 4
    add("A water tank holds 1,200 liters when full. It is 3/4 full. A pump removes 45 liters of water per minute. "
        "How many minutes will it take to empty the tank?",
        [f"The tank has 3/4 * {tank} = {water} liters of water.",
         f"At {rate} liters per minute, it takes {water} / {rate} = {water // rate} minutes."],
        water // rate,
        [f"The tank holds {tank} liters.", f"At {rate} liters per minute, it takes {tank} / {rate} = 26.67 minutes, "
         "so about 27 minutes."], 27, "minutes",
        ["strict", "wrong_arith", "truncated", "strict_nonl", "two_answers"])
    # g12
    rws, per, kids, adult_p, kid_p = 25, 32, 320, 12, 7
    total_seats = rws * per
    adults = total_seats - kids
    add(f"A theater has {rws} rows with {per} seats in each row. Adult tickets cost ${adult_p} and children's "
        f"tickets cost ${kid_p}. At one show every seat was sold, and {kids} of the tickets were children's tickets. "
        "How much money, in dollars, did the theater collect?",
        [f"The theater has {rws} * {per} = {total_seats} seats.",
         f"Adult tickets: {total_seats} - {kids} = {adults}.",
         f"Adults paid {adults} * {adult_p} = ${adults * adult_p:,}.",
         f"Children paid {kids} * {kid_p} = ${kids * kid_p:,}.",
         f"Total: ${adults * adult_p:,} + ${kids * kid_p:,} = ${adults * adult_p + kids * kid_p:,}."],
        adults * adult_p + kids * kid_p,
        [f"The theater has {rws} * {per} = {total_seats} seats.",
         f"Adult tickets: {total_seats} - {kids} = {adults}.",
         f"Adults paid {adults} * {adult_p} = $5,660.", f"Children paid {kids} * {kid_p} = ${kids * kid_p:,}.",
         f"Total: $5,660 + ${kids * kid_p:,} = ${5660 + kids * kid_p:,}."], 5660 + kids * kid_p, "dollars",
        ["comma", "strict", "wrong_arith", "units", "outside_text", "single_line"])
    # g13
    gap, later, total_later = 4, 6, 40
    sister = (total_later - gap - 2 * later) // 2
    add(f"Sam is {gap} years older than his sister. In {later} years, the sum of their ages will be {total_later}. "
        "How old is Sam now?",
        [f"Let the sister's age now be s, so Sam is s + {gap}.",
         f"In {later} years: (s + {later}) + (s + {gap} + {later}) = {total_later}.",
         f"2s + {gap + 2 * later} = {total_later}, so 2s = {total_later - gap - 2 * later} and s = {sister}.",
         f"Sam is {sister} + {gap} = {sister + gap} years old."],
        sister + gap,
        [f"Let the sister's age now be s, so Sam is s + {gap}.",
         f"In {later} years: (s + {later}) + (s + {gap} + {later}) = {total_later}.",
         f"2s + {gap + 2 * later} = {total_later}, so s = {sister}."], sister, "years old",
        ["strict", "wrong_arith", "wrong_arith", "trailing", "single_line"])
    # g14
    base, included, sent = 35, 500, 740
    extra = sent - included
    add(f"Jenna's phone plan costs ${base} per month plus $0.10 for each text message over {included}. "
        f"Last month she sent {sent} texts. How much was her bill, in dollars?",
        [f"She sent {sent} - {included} = {extra} texts over the limit.",
         f"Those cost {extra} * $0.10 = ${extra // 10}.",
         f"Her bill was ${base} + ${extra // 10} = ${base + extra // 10}."],
        base + extra // 10,
        [f"Each text costs $0.10, so {sent} texts cost {sent} * $0.10 = ${sent // 10}.",
         f"Her bill was ${base} + ${sent // 10} = ${base + sent // 10}."], base + sent // 10, "dollars",
        ["strict", "units", "wrong_arith", "boxed", "truncated", "strict_nonl", "two_answers"])
    # g15: geometry trap, every completion wrong or malformed (zero spread)
    length, width = 18, 12
    outer = (length + 2) * (width + 2)
    add(f"A rectangular garden is {length} meters long and {width} meters wide. A path 1 meter wide runs around the "
        "outside of the garden. What is the area of the path in square meters?",
        [f"With the path, the outer rectangle is {length} + 2 = {length + 2} m by {width} + 2 = {width + 2} m.",
         f"Its area is {length + 2} * {width + 2} = {outer} square meters.",
         f"The garden's area is {length} * {width} = {length * width} square meters.",
         f"The path's area is {outer} - {length * width} = {outer - length * width} square meters."],
        outer - length * width,
        [f"The path runs along the perimeter, which is 2 * ({length} + {width}) = {2 * (length + width)} meters.",
         f"The path is 1 meter wide, so its area is {2 * (length + width)} * 1 = {2 * (length + width)} square meters."],
        2 * (length + width), "square meters",
        ["wrong_arith", "units", "boxed", "trailing", "gsm_hash", "truncated"])
    return probs


MATH_INTROS = ["", "", "Let's solve this step by step.\n", "Let me break the problem down.\n",
               "We need to work through the quantities one at a time.\n"]
MATH_OUTROS = ["", "So the answer is {a}.", "Therefore, the answer is {a}.", "The final answer is {a}."]
TRAILERS = ["I hope this helps!", "Let me know if you have any other questions.",
            "Note: I assumed every quantity in the problem is exact.", "This problem tests multi-step arithmetic."]


def _math_completion(p: dict[str, Any], mode: str, rng: random.Random) -> tuple[list[dict[str, str]], str]:
    a, unit = p["answer"], p["unit"]

    def reasoning(steps: list[str], value: int | str) -> str:
        body = rng.choice(MATH_INTROS) + "\n".join(steps)
        if rng.random() < 0.3:  # some models restate the question first
            body = "The question asks: " + p["question"].rsplit(". ", 1)[-1] + "\n" + body
        outro = rng.choice(MATH_OUTROS).format(a=value)
        return body + ("\n" + outro if outro else "")

    def strict(steps: list[str], value: int | str, shown: str | None = None) -> str:
        return f"<reasoning>\n{reasoning(steps, value)}\n</reasoning>\n<answer>\n{shown or value}\n</answer>\n"

    steps, slip = p["steps"], p["slip"]
    if mode == "strict":
        text, label = strict(steps, a), GOOD
    elif mode == "strict_nonl":
        text, label = strict(steps, a).rstrip("\n"), GOOD
    elif mode == "single_line":
        one = " ".join(steps)
        text = rng.choice([f"<reasoning>{one}</reasoning><answer>{a}</answer>",
                           f"<reasoning>{one}</reasoning>\n<answer>{a}</answer>",
                           f"<reasoning> {one} </reasoning>\n<answer> {a} </answer>\n"])
        label = GOOD
    elif mode == "comma":
        assert a >= 1000
        text, label = strict(steps, f"{a:,}"), GOOD
    elif mode == "wrong_arith":
        text, label = strict(slip, p["slip_answer"]), BAD
    elif mode == "units":
        shown = rng.choice([f"{a} {unit}", f"{a:,} {unit}"] if a >= 1000 else [f"{a} {unit}"])
        if unit == "dollars":
            shown = rng.choice([shown, f"${a:,}" if a >= 1000 else f"${a}"])
        text, label = strict(steps, a, shown), BAD
    elif mode == "outside_text":
        if rng.random() < 0.5:
            text = f"<reasoning>\n{reasoning(steps, a)}\n</reasoning>\nThe answer is {a}."
        else:
            text = "\n".join(steps) + f"\nThe answer is {a}."
        label = BAD
    elif mode == "gsm_hash":
        text, label = "\n".join(steps) + f"\n#### {a}", BAD
    elif mode == "truncated":
        if rng.random() < 0.5:
            text = strict(steps, a).split("\n</answer>")[0]
        else:
            text = "<reasoning>\n" + _truncate("\n".join(steps), rng)
        label = BAD
    elif mode == "boxed":
        if rng.random() < 0.5:
            text = f"<reasoning>\n{reasoning(steps, a)}\n</reasoning>\nThe final answer is $\\boxed{{{a}}}$."
        else:
            text = "\n".join(steps) + f"\n\n\\boxed{{{a}}}"
        label = BAD
    elif mode == "boxed_in_tags":
        text, label = strict(steps, a, f"\\boxed{{{a}}}"), BAD
    elif mode == "two_answers":
        if rng.random() < 0.5:
            text = (strict(slip, p["slip_answer"]) + "Wait, let me recheck the calculation.\n"
                    + "\n".join(steps[-2:]) + f"\n<answer>\n{a}\n</answer>\n")
        else:
            text = strict(steps, a) + f"<answer>\n{a}\n</answer>\n"
        label = BAD
    elif mode == "trailing":
        text, label = strict(steps, a) + rng.choice(TRAILERS), BAD
    else:
        raise ValueError(f"unknown math mode {mode!r}")
    return [{"role": "assistant", "content": text}], label


def build_math() -> list[tuple[Row, str]]:
    rng = random.Random(MATH_SEED)
    out: list[tuple[Row, str]] = []
    for gi, p in enumerate(_math_problems(), 1):
        group = f"math-g{gi:02d}"
        prompt = [{"role": "system", "content": MATH_SYSTEM}, {"role": "user", "content": p["question"]}]
        modes = list(p["modes"])
        rng.shuffle(modes)
        for ci, mode in enumerate(modes, 1):
            completion, intended = _math_completion(p, mode, rng)
            row = {"id": f"{group}-c{ci}", "group": group, "prompt": prompt, "completion": completion,
                   "label": intended, "answer": str(p["answer"])}
            _check(row, intended, math_label(completion, str(p["answer"])), mode)
            out.append((row, mode))
    return out


# ======================================================================================= maze set

DIRS = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}
OPPOSITE = {"up": "down", "down": "up", "left": "right", "right": "left"}
WALL_ORDER = ("up", "down", "left", "right")

MAZE_PROMPT = (
    "You are solving a maze given as tokens. Each cell is three tokens: its coordinate <|row-col|> (row 0 is the "
    "top row, column 0 the left column), its walls (<|no_wall|>, or the blocked sides joined, e.g. "
    "<|up_left_wall|>), and its content (<|origin|>, <|target|> or <|blank|>). Each line is one row.\n"
    "Find the shortest sequence of moves from <|origin|> to <|target|>; you cannot move through a wall. "
    "Think step by step inside <think> </think>, then output only the moves as tokens: <|up|>, <|down|>, "
    "<|left|>, <|right|>.\n\nMaze ({n}x{n}):\n{grid}"
)

Cell = tuple[int, int]


class Maze:
    """A perfect maze (one simple path between any two cells) carved by a seeded depth-first search."""

    def __init__(self, n: int, rng: random.Random):
        self.n = n
        self.walls: dict[Cell, set[str]] = {(r, c): set(WALL_ORDER) for r in range(n) for c in range(n)}
        start = (rng.randrange(n), rng.randrange(n))
        seen, stack = {start}, [start]
        while stack:
            cell = stack[-1]
            options = [(d, self.step(cell, d)) for d in WALL_ORDER]
            options = [(d, nb) for d, nb in options if self.inside(nb) and nb not in seen]
            if not options:
                stack.pop()
                continue
            d, nb = rng.choice(options)
            self.walls[cell].discard(d)
            self.walls[nb].discard(OPPOSITE[d])
            seen.add(nb)
            stack.append(nb)

    @staticmethod
    def step(cell: Cell, d: str) -> Cell:
        return cell[0] + DIRS[d][0], cell[1] + DIRS[d][1]

    def inside(self, cell: Cell) -> bool:
        return 0 <= cell[0] < self.n and 0 <= cell[1] < self.n

    def open_dirs(self, cell: Cell) -> list[str]:
        return [d for d in WALL_ORDER if d not in self.walls[cell]]

    def bfs(self, origin: Cell, target: Cell) -> tuple[list[str], int]:
        """Shortest move list and the number of distinct shortest paths (1 in a perfect maze)."""
        dist, ways, prev = {origin: 0}, {origin: 1}, {}
        queue = deque([origin])
        while queue:
            cell = queue.popleft()
            for d in self.open_dirs(cell):
                nb = self.step(cell, d)
                if nb not in dist:
                    dist[nb], ways[nb], prev[nb] = dist[cell] + 1, ways[cell], (cell, d)
                    queue.append(nb)
                elif dist[nb] == dist[cell] + 1:
                    ways[nb] += ways[cell]
        moves, cell = [], target
        while cell != origin:
            cell, d = prev[cell]
            moves.append(d)
        return moves[::-1], ways[target]

    def wall_token(self, cell: Cell) -> str:
        sides = [d for d in WALL_ORDER if d in self.walls[cell]]
        return "<|no_wall|>" if not sides else "<|" + "_".join(sides) + "_wall|>"

    def render(self, origin: Cell, target: Cell) -> str:
        lines = []
        for r in range(self.n):
            parts = []
            for c in range(self.n):
                mark = "<|origin|>" if (r, c) == origin else "<|target|>" if (r, c) == target else "<|blank|>"
                parts.append(f"<|{r}-{c}|>{self.wall_token((r, c))}{mark}")
            lines.append("".join(parts))
        return "\n".join(lines)


def _tokens(moves: list[str]) -> str:
    return "".join(f"<|{d}|>" for d in moves)


def _pos(cell: Cell) -> str:
    return f"({cell[0]},{cell[1]})"


def _walls_text(maze: Maze, cell: Cell) -> str:
    sides = [d for d in WALL_ORDER if d in maze.walls[cell]]
    return "no walls" if not sides else "walls: " + ", ".join(sides)


def _narrate(maze: Maze, origin: Cell, target: Cell, moves: list[str], rng: random.Random, style: str) -> str:
    """The reasoning a model writes while walking ``moves``; ``style`` is terse, detailed or explore."""
    lines = [f"The origin is at {_pos(origin)} and the target is at {_pos(target)}."]
    if style != "terse":
        dr, dc = target[0] - origin[0], target[1] - origin[1]
        offsets = [f"{abs(dr)} {'row' if abs(dr) == 1 else 'rows'} {'down' if dr > 0 else 'up'}" if dr else "",
                   f"{abs(dc)} {'column' if abs(dc) == 1 else 'columns'} {'right' if dc > 0 else 'left'}" if dc else ""]
        lines.append(f"The target is {' and '.join(o for o in offsets if o)}, but walls may force a detour.")
    cell, came_from = origin, None
    for i, d in enumerate(moves):
        nxt = maze.step(cell, d)
        if style == "terse":
            lines.append(f"Step {i + 1}: {d} to {_pos(nxt)}.")
        else:
            opened = [x for x in maze.open_dirs(cell) if x != came_from]
            if style == "explore":
                for other in opened:
                    if other != d:
                        lines.append(_explore_branch(maze, cell, other))
            lines.append(f"At {_pos(cell)} ({_walls_text(maze, cell)}) I move {d} to {_pos(nxt)}.")
        came_from = OPPOSITE[d]
        cell = nxt
    lines.append(f"That reaches the target {_pos(target)} in {len(moves)} {'move' if len(moves) == 1 else 'moves'}.")
    return "\n".join(lines)


def _explore_branch(maze: Maze, cell: Cell, d: str) -> str:
    """Narrate trying a side branch (it never reaches the target: the maze is perfect and ``cell`` is on the path)."""
    walk, here, back = [], cell, None
    while len(walk) < 3:
        options = [x for x in maze.open_dirs(here) if x != back]
        step = d if not walk else (options[0] if options else None)
        if step is None:
            break
        here = maze.step(here, step)
        walk.append((step, here))
        back = OPPOSITE[step]
    route = ", ".join(f"{x} to {_pos(c)}" for x, c in walk)
    ending = ("a dead end" if not [x for x in maze.open_dirs(here) if x != back]
              else "it keeps leading away from the target")
    return f"Option from {_pos(cell)}: {route}; {ending}, so I go back to {_pos(cell)}."


def _wrong_moves(maze: Maze, origin: Cell, target: Cell, gold: list[str], rng: random.Random) -> tuple[list[str], str]:
    """A plausible wrong answer: stops one move short, ignores walls, wanders into a branch, or flips a move."""
    kinds = ["short", "ignore_walls", "branch", "flip"]
    rng.shuffle(kinds)
    for kind in kinds:
        if kind == "short":
            moves = gold[:-1]
        elif kind == "ignore_walls":
            dr, dc = target[0] - origin[0], target[1] - origin[1]
            vert = ["down" if dr > 0 else "up"] * abs(dr)
            horiz = ["right" if dc > 0 else "left"] * abs(dc)
            moves = vert + horiz if rng.random() < 0.5 else horiz + vert
        elif kind == "branch":
            cell, moves = origin, []
            for i, d in enumerate(gold):
                side = [x for x in maze.open_dirs(cell) if x != d and (i == 0 or x != OPPOSITE[gold[i - 1]])]
                if side:
                    moves = gold[:i] + [side[0]] + gold[i + 1:]
                    break
                cell = maze.step(cell, d)
        else:
            i = rng.randrange(len(gold))
            moves = gold[:i] + [OPPOSITE[gold[i]]] + gold[i + 1:]
        if moves and moves != gold:
            return moves, kind
    raise AssertionError("no wrong path found")


INVALID_TOKEN_MAPS = [
    {"up": "north", "down": "south", "left": "west", "right": "east"},
    {"up": "forward", "down": "backward", "left": "left", "right": "right"},
    {"up": "move_up", "down": "move_down", "left": "move_left", "right": "move_right"},
]
EXTRA_TEXTS = ["\n\nThis path reaches the target in {n} moves.", " (shortest path)",
               "\nDone! The agent arrives at the target.", "\n\nFinal answer above."]


def _maze_completion(maze: Maze, origin: Cell, target: Cell, gold: list[str], mode: str,
                     rng: random.Random) -> tuple[str, str]:
    style = "explore" if mode == "good_verbose" else rng.choice(["terse", "detailed", "detailed"])
    think = _narrate(maze, origin, target, gold, rng, style)
    tokens = _tokens(gold)
    head = f"<think>\n{think}\n</think>\n"
    if mode in ("good", "good_verbose"):
        return head + rng.choice(["", "", "\n"]) + tokens, GOOD
    if mode == "good_ws":
        sep = rng.choice([" ", "\n", " \n"])
        return head + sep.join(f"<|{d}|>" for d in gold) + rng.choice(["", "\n"]), GOOD
    if mode == "wrong_path":
        moves, _kind = _wrong_moves(maze, origin, target, gold, rng)
        think = _narrate(maze, origin, target, moves, rng, "terse")
        return f"<think>\n{think}\n</think>\n" + _tokens(moves), BAD
    if mode == "invalid_tokens":
        mapping = rng.choice(INVALID_TOKEN_MAPS)
        return head + "".join(f"<|{mapping[d]}|>" for d in gold), BAD
    if mode == "plain_words":
        sep = rng.choice([", ", " -> ", " "])
        words = [d.upper() if sep == " " else d for d in gold]
        return head + sep.join(words), BAD
    if mode == "missing_close":
        return f"<think>\n{think}\n" + tokens, BAD
    if mode == "moves_in_think":
        return f"<think>\n{think}\nSo the moves are {tokens}.\n</think>\n" + rng.choice(["", "See the moves above."]), BAD
    if mode == "extra_text":
        return head + tokens + rng.choice(EXTRA_TEXTS).format(n=len(gold)), BAD
    if mode == "empty_after":
        return head.rstrip("\n") + rng.choice(["", "\n"]), BAD
    if mode == "two_close":
        if rng.random() < 0.5:
            return head + "</think>\n" + tokens, BAD
        return head + "Let me double-check the path once more.\n</think>\n" + tokens, BAD
    raise ValueError(f"unknown maze mode {mode!r}")


MAZE_GROUPS: list[tuple[int, list[str]]] = [
    (3, ["good", "good_ws", "good_verbose", "good"]),  # small and easy: every completion right
    (4, ["good", "wrong_path", "invalid_tokens", "good_ws", "extra_text"]),
    (3, ["good_verbose", "wrong_path", "plain_words", "missing_close", "good"]),
    (5, ["wrong_path", "wrong_path", "moves_in_think", "empty_after", "two_close", "extra_text"]),  # all wrong
    (4, ["good", "wrong_path", "good_ws", "invalid_tokens", "moves_in_think", "good_verbose"]),
    (4, ["good", "plain_words", "two_close", "wrong_path"]),
    (5, ["good_verbose", "wrong_path", "extra_text", "good", "missing_close", "empty_after", "good_ws"]),
    (4, ["good", "wrong_path", "wrong_path", "invalid_tokens", "good"]),
    (5, ["good_ws", "moves_in_think", "plain_words", "good", "wrong_path", "two_close", "extra_text", "good_verbose"]),
    (5, ["wrong_path", "invalid_tokens", "missing_close", "plain_words", "empty_after"]),  # all wrong
    (3, ["good", "wrong_path", "extra_text", "good_verbose", "two_close"]),
    (4, ["good", "missing_close", "wrong_path", "good_ws", "moves_in_think", "invalid_tokens"]),
    (5, ["good_verbose", "wrong_path", "empty_after", "good", "plain_words"]),
    (4, ["good", "wrong_path", "extra_text", "good_ws", "two_close", "wrong_path"]),
]


def build_maze() -> list[tuple[Row, str]]:
    rng = random.Random(MAZE_SEED)
    out: list[tuple[Row, str]] = []
    for gi, (n, group_modes) in enumerate(MAZE_GROUPS, 1):
        maze = Maze(n, rng)
        cells = [(r, c) for r in range(n) for c in range(n)]
        min_len = {3: 3, 4: 5, 5: 7}[n]
        pairs = [(a, b) for a in cells for b in cells if a != b and len(maze.bfs(a, b)[0]) >= min_len]
        origin, target = rng.choice(pairs)
        gold, ways = maze.bfs(origin, target)
        assert ways == 1, "gold must be the only shortest path"
        group = f"maze-g{gi:02d}"
        prompt = MAZE_PROMPT.format(n=n, grid=maze.render(origin, target))
        modes = list(group_modes)
        rng.shuffle(modes)
        for ci, mode in enumerate(modes, 1):
            completion, intended = _maze_completion(maze, origin, target, gold, mode, rng)
            row = {"id": f"{group}-c{ci}", "group": group, "prompt": prompt, "completion": completion,
                   "label": intended, "answer": _tokens(gold)}
            _check(row, intended, maze_label(completion, _tokens(gold)), mode)
            out.append((row, mode))
    return out


# ======================================================================================= output

def _check(row: Row, intended: str, ruled: str, mode: str) -> None:
    if intended != ruled:
        raise AssertionError(f"{row['id']} ({mode}): the mode says {intended}, the label rule says {ruled}")


def _jsonl(rows: list[tuple[Row, str]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row, _ in rows)


def _stats(rows: list[tuple[Row, str]]) -> dict[str, Any]:
    groups: dict[str, list[str]] = {}
    for row, _ in rows:
        groups.setdefault(row["group"], []).append(row["label"])
    labels = Counter(row["label"] for row, _ in rows)
    sizes = [len(v) for v in groups.values()]
    return {
        "samples": len(rows), "groups": len(groups), "good": labels[GOOD], "bad": labels[BAD],
        "mixed": sum(len(set(v)) == 2 for v in groups.values()),
        "all_good": [g for g, v in groups.items() if set(v) == {GOOD}],
        "all_bad": [g for g, v in groups.items() if set(v) == {BAD}],
        "min": min(sizes), "max": max(sizes),
    }


MODE_NOTES: dict[str, dict[str, str]] = {
    "search": {
        "good": "two-hop search (2 searches), exact answer in tags",
        "good_direct": "one well-aimed search, exact answer",
        "good_verify": "hops plus one or two verification searches (3-4 searches), exact answer",
        "good_alias": "answer is an alias or a different case (`phnom penh`, `Tchaikovsky`)",
        "no_search_wrong": "answers from memory without searching, wrongly",
        "wrong_after_search": "searches, then answers the intermediate hop or a distractor from the documents",
        "spam_answer": "7-12 near-identical searches, then the right answer (spam is bad whatever the answer)",
        "spam_truncated": "7-12 near-identical searches, cut off mid-search, no answer",
        "truncated": "stops mid-`<think>` (length limit): no answer",
        "no_tags": "right answer as plain text / markdown after `</think>`, no `<answer>` tags",
        "answer_in_think": "right answer stated only inside `<think>`",
        "multi_answer": "two `<answer>` blocks (a wrong one then a correction, or the same one twice)",
        "hedge": "`A or B` inside the tags",
        "empty_answer": "`<answer></answer>` / `<answer> </answer>` after reasoning to the answer",
        "verbose": "a whole sentence containing the answer inside the tags",
    },
    "math": {
        "strict": "`<reasoning>\\n…\\n</reasoning>\\n<answer>\\nN\\n</answer>\\n`, correct",
        "strict_nonl": "the same without the final newline (ends at EOS)",
        "single_line": "tags on one line (`<reasoning>…</reasoning><answer>N</answer>`), correct",
        "comma": "correct, with thousands separators (`2,520`)",
        "wrong_arith": "well-formed, wrong number (an arithmetic slip or a skipped step)",
        "units": "right number with units or a currency sign (`216 dollars`, `$216`)",
        "outside_text": "no answer tags: `The answer is N.` at the end",
        "gsm_hash": "GSM8K style `#### N`, no tags",
        "truncated": "cut off: no `</answer>`, or stops mid-reasoning",
        "boxed": "`\\boxed{N}` instead of answer tags",
        "boxed_in_tags": "`\\boxed{N}` inside the answer tags",
        "two_answers": "two answer blocks (a wrong one then a correction, or the same one twice)",
        "trailing": "correct and well-formed, then chatter after `</answer>`",
    },
    "maze": {
        "good": "`<think>…</think>` then exactly the gold tokens",
        "good_verbose": "long reasoning that considers and rejects side branches, gold tokens",
        "good_ws": "gold tokens separated by spaces or newlines",
        "wrong_path": "well-formed, wrong moves (stops one short, walks through walls, takes a branch, flips a move)",
        "invalid_tokens": "`<|north|>`, `<|forward|>`, `<|move_down|>` instead of the four move tokens",
        "plain_words": "`down, down, right` / `DOWN RIGHT` / `down -> right`",
        "missing_close": "no `</think>`",
        "moves_in_think": "moves written only inside `<think>`",
        "extra_text": "gold tokens followed by a sentence",
        "empty_after": "nothing after `</think>`",
        "two_close": "two `</think>` tags",
    },
}


def _readme(sets: dict[str, list[tuple[Row, str]]]) -> str:
    out = [
        "# Demo sample sets",
        "",
        "Three small, realistic sets of GRPO generations for trying rewardsmith without data of your own.",
        "Each file is JSONL, one sample a line, keys in this order: `id`, `group`, `prompt`, `completion`,",
        "`label` (`good` / `bad`), then the reference columns (passed to reward functions as keyword arguments).",
        "A *group* is the completions of one prompt, as GRPO samples them; most groups mix good and bad",
        "completions, and a few have zero spread (all good or all bad), as real groups often do.",
        "",
        "The completions are written by `scripts/make_demo_data.py` from named failure modes that real models",
        "show; the facts, the arithmetic and the maze paths are correct (the script computes every number and",
        "solves every maze by breadth-first search). Regenerate (deterministic, byte-identical):",
        "",
        "```",
        "python scripts/make_demo_data.py            # or: --out DIR",
        "```",
        "",
        "## Counts",
        "",
        "| set | samples | groups | completions per group | good | bad | mixed groups | all good | all bad |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, rows in sets.items():
        s = _stats(rows)
        out.append(f"| {name} | {s['samples']} | {s['groups']} | {s['min']}-{s['max']} | {s['good']} | {s['bad']} "
                   f"| {s['mixed']} | {', '.join(s['all_good']) or '-'} | {', '.join(s['all_bad']) or '-'} |")
    sections = {
        "search": [
            "## search.jsonl: agentic search QA (Search-R1 style)",
            "",
            "- `prompt`: messages, a system prompt with the protocol (`<think>`, `<search> query </search>`, results in",
            "  `<information>`, final `<answer>`) and a multi-hop trivia question.",
            "- `completion`: `{\"messages\": [...]}`, assistant turns (`<think>…</think>` then `<search>…</search>`, or",
            "  finally `<think>…</think>` then `<answer>…</answer>`) alternating with `{\"role\": \"tool\"}` turns holding",
            "  `<information>Doc 1(Title: \"…\") …</information>` (three retrieved passages).",
            "- reference columns: `answer` (gold short answer), `aliases` (acceptable strings, gold included).",
            "",
            "**Label rule** (`search_label`): good only if every assistant turn but the last is one think then one",
            f"search, there are at most {SEARCH_CAP} searches, the last turn is one think then exactly one",
            "`<answer>…</answer>` and nothing else, and the text in the tags, stripped, equals the answer or an",
            "alias case-insensitively. A sentence that contains the answer is bad, as is spam with a right answer.",
        ],
        "math": [
            "## math.jsonl: grade-school word problems (GSM8K style, Unsloth / willccbb format)",
            "",
            "- `prompt`: messages, system `Respond in the following format:\\n<reasoning>\\n...\\n</reasoning>\\n<answer>\\n...\\n</answer>`",
            "  and a word problem.",
            "- `completion`: a list with one assistant message.",
            "- reference column: `answer`, the gold integer as a string (as GSM8K's `#### N` extracted).",
            "",
            "**Label rule** (`math_label`): good only if the message is `<reasoning>…</reasoning>` then",
            "`<answer>…</answer>` (newlines around the tags optional), nothing after, exactly one answer block, and",
            "the answer is a bare integer equal to the gold. Thousands separators count as the number (`2,520` is",
            "good; a strict string-equality reward will miss it, which the bench should show); units, `$`,",
            "`\\boxed{}` and trailing text are bad.",
        ],
        "maze": [
            "## maze.jsonl: grid mazes (AlphaMaze style)",
            "",
            "- `prompt`: a string describing a 3x3 to 5x5 maze, one line per row, three tokens per cell:",
            "  `<|row-col|>`, its walls (`<|no_wall|>` or e.g. `<|up_left_wall|>`), and `<|origin|>` / `<|target|>` /",
            "  `<|blank|>`. Mazes are perfect (one simple path between cells), so the shortest path is unique.",
            "- `completion`: a string, `<think>\\n…\\n</think>\\n` then move tokens `<|up|>` `<|down|>` `<|left|>` `<|right|>`.",
            "- reference column: `answer`, the gold moves as concatenated tokens (`<|down|><|down|><|right|>`).",
            "",
            "**Label rule** (`maze_label`): good only if the completion starts with the one `<think>` block, has",
            "exactly one `</think>`, and what follows equals the gold once whitespace is removed (spaces or",
            "newlines between tokens are tolerated; any other text is bad).",
        ],
    }
    for name, rows in sets.items():
        out += ["", *sections[name], "", "| mode | label | count | samples |", "| --- | --- | --- | --- |"]
        by_mode: dict[str, list[Row]] = {}
        for row, mode in rows:
            by_mode.setdefault(mode, []).append(row)
        for mode in MODE_NOTES[name]:
            got = by_mode.pop(mode, [])
            if got:
                ids = ", ".join(r["id"].split("-", 1)[1] for r in got)
                out.append(f"| `{mode}`: {MODE_NOTES[name][mode]} | {got[0]['label']} | {len(got)} | {ids} |")
        assert not by_mode, f"undocumented {name} modes: {sorted(by_mode)}"
    out += ["", "Sample ids in the tables drop the set prefix (`g03-c2` is `search-g03-c2` in search.jsonl).", ""]
    return "\n".join(out)


BUILDERS: dict[str, Callable[[], list[tuple[Row, str]]]] = {
    "search": build_search, "math": build_math, "maze": build_maze}


def main(out_dir: str | Path | None = None) -> dict[str, Path]:
    """Write the three sets and README.md to ``out_dir`` (default: the package's data/demo folder)."""
    out = Path(out_dir) if out_dir is not None else DEFAULT_OUT
    out.mkdir(parents=True, exist_ok=True)
    if set(BUILDERS) != set(DEMO_SETS):
        raise SystemExit(f"rewardsmith/demo.py lists {sorted(DEMO_SETS)} but this script builds {sorted(BUILDERS)}")
    sets = {name: BUILDERS[name]() for name in DEMO_SETS}
    texts = {demo_set(name).file: _jsonl(rows) for name, rows in sets.items()}
    texts["README.md"] = _readme(sets)
    written = {}
    for fname, text in texts.items():
        path = out / fname
        path.write_bytes(text.encode("utf-8"))
        written[fname] = path
    return written


def _cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)
    for name, path in main(args.out).items():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_cli())
