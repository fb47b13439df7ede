"""Writes ``offline_profile_fresh2.jsonl``: a second, small held-out set for the rules.

Written after ``offline_profile_fresh.jsonl`` had been measured (recall 0.889, precision
0.968) and its misses looked at, which led to two general fixes ("im allergic" is not a
name slot; "I'm" is not a name); so that set is no longer held out. This one was written
before those fixes were run on it and never used to change the rules. Same conventions
as ``make_offline_profile.py``. Run ``python tests/data/make_offline_profile_fresh2.py``.
"""

import json
from pathlib import Path

rows = [
    ("hi im priyanka", [["name", "priyanka"]]),
    (
        "my name is oliver and i live in manchester",
        [["name", "oliver"], ["location", "manchester"]],
    ),
    ("im allergic to shellfish", [["allergies", "shellfish"]]),
    ("im vegetarian btw", [["diet", "vegetarian"]]),
    ("i work for ikea", [["employer", "ikea"]]),
    ("i moved to dublin in may", [["location", "dublin"]]),
    ("i'm originally from naples", [["hometown", "naples"]]),
    ("my dog is called pixel", [["pets", "pixel (dog)"]]),
    ("my brother is called ahmed", [["relations", "ahmed (brother)"]]),
    ("i hate mornings", [["dislikes", "mornings"]]),
    ("i love photography", [["likes", "photography"]]),
    ("im a chef", [["role", "chef"]]),
    ("i work as a nurse in leeds", [["role", "nurse"], ["location", "leeds"]]),
    ("call me max", [["name", "max"]]),
    ("i dont eat beef", [["diet", "no beef"]]),
    ("my favourite film is alien", [["favorite_film", "alien"]]),
    ("Hey, Greta here.", [["name", "Greta"]]),
    ("I'm Luis and I'm from Bogotá.", [["name", "Luis"], ["hometown", "Bogotá"]]),
    ("I've been living in Cape Town since 2019.", [["location", "Cape Town"]]),
    ("I work at Airbus as an engineer.", [["employer", "Airbus"], ["role", "engineer"]]),
    ("My cat's name is Tofu.", [["pets", "Tofu (cat)"]]),
    ("My girlfriend is called Chloe.", [["relations", "Chloe (girlfriend)"]]),
    ("I'm allergic to wheat.", [["allergies", "wheat"]]),
    ("I'm a huge fan of cricket.", [["likes", "cricket"]]),
    ("I prefer concise replies.", [["preferences", "concise replies"]]),
    ("I'm a vegan chef in Bristol.", [["role", "vegan chef"], ["location", "Bristol"]]),
    ("My wife Sara works in finance.", [["relations", "Sara (wife)"]]),
    ("We have a tortoise named Sheldon.", [["pets", "Sheldon (tortoise)"]]),
    ("I speak Italian.", [["spoken_languages", "Italian"]]),
    ("I use VS Code.", [["tools", "VS Code"]]),
    ("im new here", []),
    ("im allergic to nothing", []),
    ("i'm bored", []),
    ("im sorry", []),
    ("i'm at work", []),
    ("my mum lives in york", []),
    ("i might move to oslo", []),
    ("im thinking of getting a cat", []),
    ("what's my name?", []),
    ("i used to work at ibm", []),
    ("I'm here for the webinar.", []),
    ("I'm off to bed.", []),
    ("My friend's dog is called Bolt.", []),
    ("I'd love a holiday in Spain.", []),
    ("Is Lima in Peru?", []),
    ("I'm almost done.", []),
    ("im on my way", []),
    ("i'm not from here", []),
    ("i don't have a sister", []),
    ("I'm running late.", []),
]

if __name__ == "__main__":
    with (Path(__file__).parent / "offline_profile_fresh2.jsonl").open("w", encoding="utf-8") as fh:
        for text, facts in rows:
            fh.write(
                json.dumps({"text": text, "facts": facts, "origin": "fresh2"}, ensure_ascii=False)
                + "\n"
            )
    print(len(rows), sum(1 for _, f in rows if f))
