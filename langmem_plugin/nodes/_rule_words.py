"""The word lists behind the offline profile rules (``_rules``): jobs, pets, relatives, diets.

Closed lists, not a model: a phrase is a job, a pet or a relative when its head word is
here. They are long enough for everyday speech (the measured recall is in ``_rules``);
anything not listed falls back to the patterns that need no list ("I work as a ...").
"""

from __future__ import annotations

import re

__all__ = [
    "DIETS",
    "JOB_HEADS",
    "NOT_NAMES",
    "PROGRAMMING_LANGUAGES",
    "RELATIVES",
    "SPECIES",
    "alternation",
]

PROGRAMMING_LANGUAGES = frozenset(
    """
    python rust go golang java javascript typescript c c++ c# ruby php kotlin swift scala
    haskell elixir erlang clojure julia r matlab perl lua dart sql bash zig ocaml f#
    """.split()  # noqa: SIM905
)

#: The last word of a job title ("senior software *engineer*", "retired police *officer*").
JOB_HEADS = frozenset(
    """
    accountant actor actress administrator admin agent analyst anesthesiologist animator
    archaeologist architect archivist artist assistant astronaut astronomer attorney auditor
    author baker banker barber barista bartender biologist bookkeeper broker builder butcher
    buyer captain cardiologist caregiver carer carpenter cashier ceo cfo chef chemist
    chiropractor cleaner clerk coach comedian composer consultant contractor coo cook
    copywriter counselor counsellor cto curator dancer decorator dentist designer detective
    developer dietitian diplomat director dispatcher doctor driver economist editor educator
    electrician engineer entrepreneur executive farmer firefighter fisherman florist
    founder freelancer gardener geologist hairdresser historian illustrator instructor
    intern interpreter investigator janitor journalist judge landscaper lawyer lecturer
    librarian lifeguard linguist locksmith machinist manager marketer mathematician
    mechanic midwife miner model musician nanny neurologist novelist nurse nutritionist
    officer optician optometrist organizer painter paralegal paramedic pediatrician
    pharmacist photographer physician physicist physiotherapist pilot plumber poet
    politician postdoc practitioner president principal producer professor programmer
    psychiatrist psychologist publisher radiologist realtor receptionist recruiter
    researcher salesman saleswoman salesperson scientist sculptor secretary singer
    sociologist soldier specialist statistician strategist student supervisor surgeon
    surveyor tailor teacher technician tester therapist trader trainer translator tutor
    undergrad veterinarian vet waiter waitress welder writer zookeeper
    """.split()  # noqa: SIM905
)

#: Animals kept as pets, and common dog breeds (singular; "guinea pig" is one species).
SPECIES = frozenset(
    """
    dog puppy cat kitten rabbit bunny parrot budgie cockatiel canary bird hamster gerbil
    ferret turtle tortoise horse pony goldfish fish snake lizard gecko iguana chinchilla
    hedgehog rat mouse pig goat chicken hen duck donkey alpaca llama tarantula axolotl
    labrador retriever poodle beagle terrier spaniel collie husky pug dachshund corgi
    chihuahua greyhound bulldog whippet schnauzer dalmatian rottweiler
    """.split()  # noqa: SIM905
) | {"guinea pig", "bearded dragon", "german shepherd", "golden retriever"}

#: Relatives and other people close to the user.
RELATIVES = frozenset(
    """
    sister brother wife husband partner spouse boyfriend girlfriend fiancé fiancée fiance
    fiancee son daughter mom mum mother dad father grandmother grandfather grandma grandpa
    granny grandson granddaughter aunt uncle cousin niece nephew friend roommate flatmate
    housemate colleague coworker co-worker boss neighbour neighbor stepmother stepfather
    stepson stepdaughter stepsister stepbrother twin
    """.split()  # noqa: SIM905
) | {
    "best friend",
    "sister-in-law",
    "brother-in-law",
    "mother-in-law",
    "father-in-law",
    "twin sister",
    "twin brother",
}

#: Diets as said after "I'm", "I follow a ... diet", "I've been ...".
DIETS = frozenset(
    """
    vegetarian vegan pescatarian pescetarian flexitarian gluten-free dairy-free nut-free
    lactose-free sugar-free kosher halal keto paleo celiac coeliac teetotal teetotaler
    plant-based
    """.split()  # noqa: SIM905
) | {
    "lactose intolerant",
    "lactose-intolerant",
    "gluten intolerant",
    "gluten-intolerant",
    "gluten free",
    "dairy free",
    "low-carb",
}

#: Capitalised words that follow "I'm" or "it's" but are not names.
NOT_NAMES = frozenset(
    """
    monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december christmas easter halloween
    thanksgiving today tomorrow tonight yesterday noon midnight sorry fine good great okay
    ok here back done ready sure happy tired busy not so just also still currently now
    glad excited new home hungry confused lost stuck afraid alone single married retired
    british english american canadian french german spanish italian portuguese brazilian
    mexican indian chinese japanese korean dutch irish scottish welsh australian swedish
    norwegian danish finnish polish russian ukrainian turkish greek egyptian nigerian
    kenyan african european asian christian muslim jewish hindu buddhist catholic atheist
    vegan vegetarian i i'm im
    """.split()  # noqa: SIM905
)


def alternation(words: frozenset[str]) -> str:
    """A regex alternation of the words, longest first (so "best friend" beats "friend")."""
    return "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))
