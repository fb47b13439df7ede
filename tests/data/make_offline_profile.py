"""Writes ``offline_profile.jsonl``: labelled first-person statements for the offline rules.

Run ``python tests/data/make_offline_profile.py`` to regenerate the files (deterministic).
Three files, by when they were written:

* ``offline_profile.jsonl``: the main set, written before the rules were changed; the
  rules were then tuned on it (the unit test asserts the bars on it).
* ``offline_profile_holdout.jsonl``: written after that tuning, measured once (recall
  0.759, precision 0.921), then its misses were used to generalise the rules: no longer
  held out.
* ``offline_profile_unseen.jsonl``: written after that, committed before the rules were
  first run on it, and never used to change them: the figure for unseen phrasings.

Each line is ``{"text": ..., "facts": [[category, value], ...], "origin": "hand" or
"template"}``: what a careful reader would put in the user's profile from that one message
alone. The labels are written here by hand (or follow from a template's slot values), never
from the output of ``langmem_plugin.nodes._rules``. Statements that should yield nothing
(questions, hypotheticals, wishes, plans, other people's facts, requests, negations, past
facts, quoted text) have ``"facts": []``.

Value conventions (compared after ``profile.normalize``: case, punctuation and articles aside):

* ``name``: the name as given; ``location``: where the user lives now (live in, based in,
  moved to); ``hometown``: where they are from, grew up or were born.
* ``role``: the job title without article; ``employer``: the organisation's name.
* ``pets``: ``"<Name> (<species>)"``; ``relations``: ``"<Name> (<relation>)"``.
* ``allergies``: the allergen; ``diet``: the diet (``vegetarian``, ``gluten-free``...) or
  ``"no <food>"`` for a food the user does not or cannot eat.
* ``likes``/``dislikes``: the thing, as said; ``favorite_<thing>``: the favourite (US
  spelling of the key: ``favorite_color``); ``preferences``: how the user wants answers.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

F = list[tuple[str, str]]

HAND_POSITIVE: list[tuple[str, F]] = [
    # name
    ("My name is Priya.", [("name", "Priya")]),
    ("Hi, I'm Tom.", [("name", "Tom")]),
    ("Hello! My name's Kenji Watanabe.", [("name", "Kenji Watanabe")]),
    ("Call me Olu.", [("name", "Olu")]),
    ("I'm Sofia, nice to meet you.", [("name", "Sofia")]),
    ("Hey there, I am Lukas.", [("name", "Lukas")]),
    ("Name's Diego.", [("name", "Diego")]),
    ("You can call me Mei.", [("name", "Mei")]),
    ("This is Aisha speaking.", [("name", "Aisha")]),
    ("My first name is Ingrid.", [("name", "Ingrid")]),
    ("I go by Sam.", [("name", "Sam")]),
    ("It's Ada here.", [("name", "Ada")]),
    (
        "Hi! I'm Maria, I work as a pharmacist in Porto.",
        [("name", "Maria"), ("role", "pharmacist"), ("location", "Porto")],
    ),
    (
        "Good morning, my name is Ahmed and I live in Cairo.",
        [("name", "Ahmed"), ("location", "Cairo")],
    ),
    ("I'm Chloé and I'm a teacher.", [("name", "Chloé"), ("role", "teacher")]),
    ("Hello, I am Anna Kowalski.", [("name", "Anna Kowalski")]),
    ("Hey, it's Jonas.", [("name", "Jonas")]),
    # location
    ("I live in Porto.", [("location", "Porto")]),
    ("I live in São Paulo with my family.", [("location", "São Paulo")]),
    ("I'm living in Osaka at the moment.", [("location", "Osaka")]),
    ("I've lived in Toronto for ten years.", [("location", "Toronto")]),
    ("I moved to Berlin last year.", [("location", "Berlin")]),
    ("We just moved to Austin, Texas.", [("location", "Austin, Texas")]),
    ("I recently relocated to Singapore for work.", [("location", "Singapore")]),
    ("I'm based in Nairobi.", [("location", "Nairobi")]),
    ("These days I live in Lyon.", [("location", "Lyon")]),
    ("My home is in Dublin.", [("location", "Dublin")]),
    ("I reside in Zurich.", [("location", "Zurich")]),
    ("I live in a small town called Hallstatt.", [("location", "Hallstatt")]),
    ("I just moved into a flat in Glasgow.", [("location", "Glasgow")]),
    ("I've been living in Mexico City since 2019.", [("location", "Mexico City")]),
    ("I live and work in Copenhagen.", [("location", "Copenhagen")]),
    ("We live in Utrecht now.", [("location", "Utrecht")]),
    ("Actually I moved to Berlin.", [("location", "Berlin")]),
    # hometown
    ("I'm from Lagos.", [("hometown", "Lagos")]),
    ("I am originally from Krakow.", [("hometown", "Krakow")]),
    ("I grew up in Manchester.", [("hometown", "Manchester")]),
    ("I was born in Havana.", [("hometown", "Havana")]),
    ("Originally I'm from Chennai.", [("hometown", "Chennai")]),
    ("I'm from Brazil but I live in Lisbon now.", [("hometown", "Brazil"), ("location", "Lisbon")]),
    ("I was born and raised in Cork.", [("hometown", "Cork")]),
    # role and employer
    ("I work as a nurse.", [("role", "nurse")]),
    (
        "I'm a software engineer at Spotify.",
        [("role", "software engineer"), ("employer", "Spotify")],
    ),
    ("I work at Google.", [("employer", "Google")]),
    ("I work for the BBC as a producer.", [("employer", "BBC"), ("role", "producer")]),
    ("I'm a plumber.", [("role", "plumber")]),
    ("I am a high school history teacher.", [("role", "high school history teacher")]),
    ("I'm an electrician by trade.", [("role", "electrician")]),
    ("My job title is product manager.", [("role", "product manager")]),
    (
        "I'm working as a barista at Blue Bottle.",
        [("role", "barista"), ("employer", "Blue Bottle")],
    ),
    ("I've been a firefighter for twelve years.", [("role", "firefighter")]),
    ("I'm employed at Siemens.", [("employer", "Siemens")]),
    ("I'm a UX designer.", [("role", "UX designer")]),
    ("I am a retired police officer.", [("role", "retired police officer")]),
    ("I'm a lawyer at Baker McKenzie.", [("role", "lawyer"), ("employer", "Baker McKenzie")]),
    ("I'm a PhD student at ETH Zurich.", [("role", "PhD student"), ("employer", "ETH Zurich")]),
    ("I'm a nurse in Leeds.", [("role", "nurse"), ("location", "Leeds")]),
    ("I work as a data analyst for Shopify.", [("role", "data analyst"), ("employer", "Shopify")]),
    ("I'm a veterinarian.", [("role", "veterinarian")]),
    ("I'm a mechanic.", [("role", "mechanic")]),
    ("I'm a freelance photographer.", [("role", "freelance photographer")]),
    ("I just started a new job at Microsoft.", [("employer", "Microsoft")]),
    ("I'm a dentist.", [("role", "dentist")]),
    ("I'm a software developer at a bank.", [("role", "software developer")]),
    ("I work as an accountant at Deloitte.", [("role", "accountant"), ("employer", "Deloitte")]),
    ("By profession I'm an architect.", [("role", "architect")]),
    # pets
    ("My dog is called Rex.", [("pets", "Rex (dog)")]),
    ("We have a cat named Miso.", [("pets", "Miso (cat)")]),
    ("I have a dog named Biscuit.", [("pets", "Biscuit (dog)")]),
    ("My cat's name is Luna.", [("pets", "Luna (cat)")]),
    ("I've got a parrot called Kiwi.", [("pets", "Kiwi (parrot)")]),
    ("Our dog, Max, loves the beach.", [("pets", "Max (dog)")]),
    ("I have two cats, Salt and Pepper.", [("pets", "Salt (cat)"), ("pets", "Pepper (cat)")]),
    ("My hamster Nibbles escaped again.", [("pets", "Nibbles (hamster)")]),
    ("I have a rabbit called Thumper.", [("pets", "Thumper (rabbit)")]),
    ("My horse is named Storm.", [("pets", "Storm (horse)")]),
    ("Meet my dog Bella!", [("pets", "Bella (dog)")]),
    ("My tortoise, Sheldon, is 40 years old.", [("pets", "Sheldon (tortoise)")]),
    ("We adopted a kitten named Mochi.", [("pets", "Mochi (kitten)")]),
    ("I have a goldfish called Bubbles.", [("pets", "Bubbles (goldfish)")]),
    ("My dog's name is Pickle.", [("pets", "Pickle (dog)")]),
    # allergies
    ("I'm allergic to peanuts.", [("allergies", "peanuts")]),
    ("I am allergic to penicillin.", [("allergies", "penicillin")]),
    ("I have a shellfish allergy.", [("allergies", "shellfish")]),
    ("I'm severely allergic to bee stings.", [("allergies", "bee stings")]),
    ("I've got a nut allergy.", [("allergies", "nut")]),
    ("I'm allergic to cats and dust.", [("allergies", "cats"), ("allergies", "dust")]),
    ("I have allergies to pollen and latex.", [("allergies", "pollen"), ("allergies", "latex")]),
    ("I'm allergic to eggs, so please avoid them in recipes.", [("allergies", "eggs")]),
    ("I'm mildly allergic to strawberries.", [("allergies", "strawberries")]),
    ("I have a severe peanut allergy.", [("allergies", "peanut")]),
    # diet
    ("I'm vegetarian.", [("diet", "vegetarian")]),
    ("I am a vegan.", [("diet", "vegan")]),
    ("I don't eat pork.", [("diet", "no pork")]),
    ("I'm lactose intolerant.", [("diet", "lactose intolerant")]),
    ("I follow a gluten-free diet.", [("diet", "gluten-free")]),
    ("I eat halal.", [("diet", "halal")]),
    ("I keep kosher.", [("diet", "kosher")]),
    ("I can't eat dairy.", [("diet", "no dairy")]),
    ("I'm pescatarian.", [("diet", "pescatarian")]),
    ("I've been vegan for five years.", [("diet", "vegan")]),
    ("I'm on a keto diet.", [("diet", "keto")]),
    ("I do not eat red meat.", [("diet", "no red meat")]),
    # likes and dislikes
    ("I love hiking.", [("likes", "hiking")]),
    ("I really enjoy jazz.", [("likes", "jazz")]),
    ("I like Italian food.", [("likes", "Italian food")]),
    ("I adore old movies.", [("likes", "old movies")]),
    ("I'm a big fan of Formula 1.", [("likes", "Formula 1")]),
    ("I'm really into rock climbing.", [("likes", "rock climbing")]),
    ("I'm passionate about photography.", [("likes", "photography")]),
    ("I hate mornings.", [("dislikes", "mornings")]),
    ("I can't stand loud music.", [("dislikes", "loud music")]),
    ("I don't like coffee.", [("dislikes", "coffee")]),
    ("I dislike crowds.", [("dislikes", "crowds")]),
    ("I'm not a fan of horror films.", [("dislikes", "horror films")]),
    ("I love cooking and gardening.", [("likes", "cooking"), ("likes", "gardening")]),
    ("I enjoy reading science fiction.", [("likes", "reading science fiction")]),
    ("I love playing chess.", [("likes", "playing chess")]),
    ("I hate waiting in line.", [("dislikes", "waiting in line")]),
    ("I detest spiders.", [("dislikes", "spiders")]),
    # favourites
    ("My favourite colour is green.", [("favorite_color", "green")]),
    ("My favorite movie is Alien.", [("favorite_movie", "Alien")]),
    ("My favorite food is ramen.", [("favorite_food", "ramen")]),
    ("My favourite band is Radiohead.", [("favorite_band", "Radiohead")]),
    ("My favorite book is Dune.", [("favorite_book", "Dune")]),
    ("Blue is my favorite color.", [("favorite_color", "blue")]),
    ("My favourite sport is tennis.", [("favorite_sport", "tennis")]),
    ("My favorite season is autumn.", [("favorite_season", "autumn")]),
    ("Pizza is my favourite food.", [("favorite_food", "pizza")]),
    ("My all-time favorite film is Casablanca.", [("favorite_film", "Casablanca")]),
    # relations (the relative's own facts are not the user's)
    ("My sister is called Ana.", [("relations", "Ana (sister)")]),
    ("My husband Tom is a chef.", [("relations", "Tom (husband)")]),
    ("My friend named Joe is visiting.", [("relations", "Joe (friend)")]),
    ("My wife's name is Elena.", [("relations", "Elena (wife)")]),
    ("My son, Leo, just turned five.", [("relations", "Leo (son)")]),
    ("I have a daughter named Zoe.", [("relations", "Zoe (daughter)")]),
    ("My brother Carlos lives in Madrid.", [("relations", "Carlos (brother)")]),
    ("My best friend is Priya.", [("relations", "Priya (best friend)")]),
    ("My mom's name is Linda.", [("relations", "Linda (mom)")]),
    ("My boyfriend is called Sam.", [("relations", "Sam (boyfriend)")]),
    ("My partner, Alex, works at Google.", [("relations", "Alex (partner)")]),
    ("My dad Frank is retired.", [("relations", "Frank (dad)")]),
    ("My girlfriend Hana loves sushi.", [("relations", "Hana (girlfriend)")]),
    ("My cousin named Rafael is getting married.", [("relations", "Rafael (cousin)")]),
    ("My grandmother is called Rosa.", [("relations", "Rosa (grandmother)")]),
    # preferences
    ("I prefer short answers.", [("preferences", "short answers")]),
    ("I'd prefer metric units.", [("preferences", "metric units")]),
    ("Please always answer in Spanish.", [("preferences", "always answer in Spanish")]),
    ("Please never use emojis.", [("preferences", "never use emojis")]),
    ("I prefer tea over coffee.", [("preferences", "tea over coffee")]),
    # several facts in one message
    (
        "I'm Omar, I'm a nurse and I live in Leeds.",
        [("name", "Omar"), ("role", "nurse"), ("location", "Leeds")],
    ),
    (
        "Hello, I'm Greta from Oslo. I'm vegetarian and allergic to shellfish.",
        [
            ("name", "Greta"),
            ("hometown", "Oslo"),
            ("diet", "vegetarian"),
            ("allergies", "shellfish"),
        ],
    ),
    (
        "I live in Bristol with my husband Mark and our dog Pippin.",
        [("location", "Bristol"), ("relations", "Mark (husband)"), ("pets", "Pippin (dog)")],
    ),
    (
        "My name is Ravi, I moved to Toronto in May and I work at Shopify.",
        [("name", "Ravi"), ("location", "Toronto"), ("employer", "Shopify")],
    ),
    ("I love jazz but I hate opera.", [("likes", "jazz"), ("dislikes", "opera")]),
    (
        "I'm Lena. My cat is called Tofu and I'm allergic to penicillin.",
        [("name", "Lena"), ("pets", "Tofu (cat)"), ("allergies", "penicillin")],
    ),
    (
        "Hey! I'm Yusuf, a pilot based in Dubai.",
        [("name", "Yusuf"), ("role", "pilot"), ("location", "Dubai")],
    ),
    (
        "Hi, I'm Ada. I work as a nurse and I live in Lisbon.",
        [("name", "Ada"), ("role", "nurse"), ("location", "Lisbon")],
    ),
    (
        "My favourite food is sushi and my sister is called Hana.",
        [("favorite_food", "sushi"), ("relations", "Hana (sister)")],
    ),
]

HAND_NEGATIVE: list[str] = [
    # questions
    "Where do I live?",
    "What's my name?",
    "Do you know where I work?",
    "Am I allergic to anything?",
    "Do I have a dog?",
    "What is my favorite color?",
    "Can you tell me who my sister is?",
    "Is it true that I live in Berlin?",
    "Do you like jazz?",
    "What should I cook for a vegetarian friend?",
    "Are you from Paris?",
    "How do I move to Canada?",
    "Should I work as a freelancer?",
    "Am I a good programmer?",
    "What do you think about Lisbon?",
    "Could I live in Tokyo on a teacher's salary?",
    "Would you recommend I move to Berlin?",
    "Who is the CEO of Google?",
    "Is Rex a good name for a dog?",
    "How long do cats live?",
    # hypotheticals, wishes, plans
    "If I lived in Paris, I would eat croissants every day.",
    "I wish I worked at NASA.",
    "I'd love to visit Japan someday.",
    "I would love a cup of tea right now.",
    "Imagine I was a pilot.",
    "Maybe I'll move to Berlin next year.",
    "I might get a dog someday.",
    "I'm thinking about moving to Berlin.",
    "I'm considering becoming a nurse.",
    "I want to be a doctor when I grow up.",
    "Suppose I'm allergic to nuts, what then?",
    "I hope to live in Kyoto one day.",
    "I'm planning to adopt a cat.",
    "If I were a teacher I'd be stricter.",
    # requests
    "I would like to know the weather in Rome.",
    "I'd like to know how to bake bread.",
    "I'd like to know more about Porto.",
    "I want to know what time it is in Tokyo.",
    "I need a recipe for vegan lasagna.",
    "I'm looking for a job in Berlin.",
    "I'm looking for a dog sitter.",
    "Book a table for two in Lisbon, please.",
    "Remind me to call the dentist.",
    "Convert 100 dollars to euros.",
    "Tell me a joke.",
    "Can you summarize this article?",
    "Translate 'I live in Berlin' into German.",
    "What does 'I'm allergic to peanuts' mean in French?",
    "Explain how cats purr.",
    # other people's facts
    "My sister lives in Rome.",
    "My husband works at IBM.",
    "Tom is a nurse.",
    "She's allergic to peanuts.",
    "My friend loves hiking.",
    "My boss is from Texas.",
    "My brother is vegan.",
    "Our neighbour has a dog called Rufus.",
    "He works as a pilot for Delta.",
    "They live in Chicago.",
    "My parents are from Mumbai.",
    "Her name is Julia.",
    "John said he lives in Oslo.",
    "My kids love pizza.",
    "My son's teacher is called Mrs Brown.",
    "A colleague of mine moved to Berlin.",
    "Our office moved to Dublin.",
    # states, trips and chit-chat that are no profile facts
    "I'm going to Paris next week.",
    "I'm flying to New York tomorrow.",
    "I'm visiting Rome in June.",
    "I'm at the airport.",
    "I'm in a meeting.",
    "I'm sorry.",
    "I'm fine, thanks.",
    "I'm tired.",
    "I'm ready.",
    "I'm sure.",
    "I'm happy with that answer.",
    "I'm not sure.",
    "I'm done for today.",
    "I'm curious about Rust.",
    "I think Berlin is overrated.",
    "I think you're wrong.",
    "I was wondering if you could help me.",
    "I'm working from home today.",
    "It's Monday.",
    "It's Christmas!",
    "It is June already.",
    "Thanks, that was helpful!",
    "The weather is nice today.",
    "Paris is beautiful in spring.",
    "Dogs are great companions.",
    "Peanuts are legumes, not nuts.",
    "Let's talk about something else.",
    "Okay, sounds good.",
    "The meeting moved to Thursday.",
    # negations and the past
    "I don't live in Paris.",
    "I'm not a doctor.",
    "I don't have a dog.",
    "I'm not allergic to anything.",
    "I'm not vegetarian.",
    "I never lived in London.",
    "I don't work at Google.",
    "I've never been to Berlin.",
    "I'm not from here.",
    "I don't have any pets.",
    "No, I'm not Maria.",
    "I used to live in Madrid.",
    "I used to be a teacher.",
    "Last summer I worked at a café.",
]

# ------------------------------------------------------------------ held out
# Written after the rules were tuned on the set above; measured once, then its misses were
# used to generalise the rules (``offline_profile_holdout.jsonl``).
HOLDOUT_POSITIVE: list[tuple[str, F]] = [
    ("Hiya, Marta here.", [("name", "Marta")]),
    ("The name's Bond.", [("name", "Bond")]),
    ("I'm called Theo.", [("name", "Theo")]),
    ("Everyone calls me Bea.", [("name", "Bea")]),
    ("Quick intro: I'm Hugo.", [("name", "Hugo")]),
    ("Hi all, Reza here, first time using this.", [("name", "Reza")]),
    ("My name is Li Wei and I'm new here.", [("name", "Li Wei")]),
    ("I'm Farah by the way.", [("name", "Farah")]),
    ("I'm living in Leipzig these days.", [("location", "Leipzig")]),
    ("I currently live in Porto Alegre.", [("location", "Porto Alegre")]),
    ("We relocated to Perth last spring.", [("location", "Perth")]),
    ("I've moved to Ghent.", [("location", "Ghent")]),
    ("Home is Bergen for me now.", [("location", "Bergen")]),
    ("I'm now based out of Tallinn.", [("location", "Tallinn")]),
    ("I live just outside Bologna.", [("location", "Bologna")]),
    ("I'm settled in Quito now.", [("location", "Quito")]),
    ("I now live in Hanoi with my partner.", [("location", "Hanoi")]),
    ("We're living in Auckland.", [("location", "Auckland")]),
    ("I hail from Galway.", [("hometown", "Galway")]),
    ("I was born in Sapporo but raised in Osaka.", [("hometown", "Sapporo")]),
    ("Originally from Accra, now in London.", [("hometown", "Accra"), ("location", "London")]),
    ("I'm Kenyan, from Mombasa.", [("hometown", "Mombasa")]),
    ("I'm an ICU nurse.", [("role", "ICU nurse")]),
    ("I work as a sous chef in a hotel.", [("role", "sous chef")]),
    ("I'm a junior developer at Stripe.", [("role", "junior developer"), ("employer", "Stripe")]),
    ("By day I'm a bus driver.", [("role", "bus driver")]),
    ("I'm a self-employed plumber.", [("role", "self-employed plumber")]),
    ("I'm an intern at Adobe this summer.", [("role", "intern"), ("employer", "Adobe")]),
    ("I've worked at Ikea for six years.", [("employer", "Ikea")]),
    ("I work in IT for Vodafone.", [("employer", "Vodafone")]),
    (
        "I'm a researcher at the Max Planck Institute.",
        [("role", "researcher"), ("employer", "Max Planck Institute")],
    ),
    ("I'm a full-stack engineer.", [("role", "full-stack engineer")]),
    ("I'm a second-year medical student.", [("role", "second-year medical student")]),
    ("I work as a cashier at Lidl.", [("role", "cashier"), ("employer", "Lidl")]),
    ("Our cat Pixel keeps knocking things over.", [("pets", "Pixel (cat)")]),
    (
        "I've got two dogs called Bonnie and Clyde.",
        [("pets", "Bonnie (dog)"), ("pets", "Clyde (dog)")],
    ),
    ("My bunny, Clover, loves carrots.", [("pets", "Clover (bunny)")]),
    ("We own a horse named Apollo.", [("pets", "Apollo (horse)")]),
    ("I have a beagle named Snoopy.", [("pets", "Snoopy (beagle)")]),
    ("My cat Ginger is 12.", [("pets", "Ginger (cat)")]),
    ("I share my flat with a cat called Olive.", [("pets", "Olive (cat)")]),
    ("My puppy is named Scout.", [("pets", "Scout (puppy)")]),
    ("I have a budgie called Sunny.", [("pets", "Sunny (budgie)")]),
    ("I'm allergic to latex.", [("allergies", "latex")]),
    ("Just so you know, I'm allergic to sulfites.", [("allergies", "sulfites")]),
    ("I have a wheat allergy.", [("allergies", "wheat")]),
    ("I'm quite allergic to cat hair.", [("allergies", "cat hair")]),
    ("I'm deathly allergic to wasps.", [("allergies", "wasps")]),
    ("Penicillin gives me a rash, I'm allergic.", [("allergies", "penicillin")]),
    (
        "I'm allergic to both almonds and cashews.",
        [("allergies", "almonds"), ("allergies", "cashews")],
    ),
    ("I'm a vegetarian.", [("diet", "vegetarian")]),
    ("I went vegan last year.", [("diet", "vegan")]),
    ("I don't eat meat.", [("diet", "no meat")]),
    ("I'm gluten intolerant.", [("diet", "gluten intolerant")]),
    ("I never eat shellfish.", [("diet", "no shellfish")]),
    ("I eat kosher.", [("diet", "kosher")]),
    ("I'm strictly vegan.", [("diet", "vegan")]),
    ("I love baking bread.", [("likes", "baking bread")]),
    ("I enjoy long walks on the beach.", [("likes", "long walks on the beach")]),
    ("I'm a huge fan of Studio Ghibli.", [("likes", "Studio Ghibli")]),
    ("I really like podcasts about history.", [("likes", "podcasts about history")]),
    ("I can't stand cold weather.", [("dislikes", "cold weather")]),
    ("I really dislike small talk.", [("dislikes", "small talk")]),
    ("I absolutely love mangoes.", [("likes", "mangoes")]),
    ("I hate flying.", [("dislikes", "flying")]),
    ("I'm obsessed with crosswords.", [("likes", "crosswords")]),
    ("Not a big fan of cilantro.", [("dislikes", "cilantro")]),
    ("My favourite city is Lisbon.", [("favorite_city", "Lisbon")]),
    ("My favorite animal is the otter.", [("favorite_animal", "otter")]),
    ("My favourite TV show is The Wire.", [("favorite_tv_show", "The Wire")]),
    ("Green tea is my favourite drink.", [("favorite_drink", "green tea")]),
    ("My favorite singer is Adele.", [("favorite_singer", "Adele")]),
    ("My favorite game is chess.", [("favorite_game", "chess")]),
    ("My wife Sara is a doctor.", [("relations", "Sara (wife)")]),
    ("My little brother is called Ben.", [("relations", "Ben (brother)")]),
    ("My best friend, Kim, lives next door.", [("relations", "Kim (best friend)")]),
    ("I have a twin sister named Lea.", [("relations", "Lea (twin sister)")]),
    ("My husband's name is Raj.", [("relations", "Raj (husband)")]),
    ("My daughter Emma starts school in September.", [("relations", "Emma (daughter)")]),
    ("My mum is called Joan.", [("relations", "Joan (mum)")]),
    ("My roommate Jake plays guitar.", [("relations", "Jake (roommate)")]),
    ("My fiancé, Luca, is Italian.", [("relations", "Luca (fiancé)")]),
    ("My grandpa Joe turns 90 tomorrow.", [("relations", "Joe (grandpa)")]),
    ("I prefer bullet points.", [("preferences", "bullet points")]),
    ("Please always use metric units.", [("preferences", "always use metric units")]),
    ("I prefer emails over calls.", [("preferences", "emails over calls")]),
    (
        "Hey, I'm Jamal, a teacher from Detroit.",
        [("name", "Jamal"), ("role", "teacher"), ("hometown", "Detroit")],
    ),
    (
        "I'm Ines and I live in Lyon with my cat Figaro.",
        [("name", "Ines"), ("location", "Lyon"), ("pets", "Figaro (cat)")],
    ),
    (
        "My name's Pia, I'm vegan and I work at Bosch.",
        [("name", "Pia"), ("diet", "vegan"), ("employer", "Bosch")],
    ),
    (
        "I'm Tomasz, I'm allergic to nuts and I love cycling.",
        [("name", "Tomasz"), ("allergies", "nuts"), ("likes", "cycling")],
    ),
    (
        "Hello! Aiko here, I moved to Vienna for a job at the UN.",
        [("name", "Aiko"), ("location", "Vienna"), ("employer", "UN")],
    ),
]
HOLDOUT_NEGATIVE: list[str] = [
    "What's a good name for a cat?",
    "Where should I live if I like surfing?",
    "My aunt is allergic to cats.",
    "My dad works as an engineer.",
    "Her dog is called Biscuit.",
    "My neighbour moved to Spain.",
    "I'd love to live in Italy one day.",
    "I'm hoping to become a vet.",
    "If I had a dog I would call it Rex.",
    "I don't eat much during the day.",
    "I'm off to Madrid tomorrow.",
    "I'm staying in a hotel in Rome this week.",
    "I'm waiting for my flight to Oslo.",
    "I'm heading to work.",
    "I'm working on a presentation.",
    "I love that idea!",
    "I like your suggestion.",
    "I hate to say it, but you're right.",
    "I'm done with this task.",
    "I'm so happy today!",
    "I'm Googling it now.",
    "It's Sunday, so no work.",
    "This is Berlin, the capital of Germany.",
    "Call me when you're free.",
    "Nobody in my family is vegetarian.",
    "My team works at Google.",
    "Is it normal to be allergic to peanuts?",
    "I can't remember where I parked.",
    "I don't think I'm allergic to anything.",
    "I never said I lived in Paris.",
    "I didn't move to Berlin after all.",
    "I'm not moving to Lisbon.",
    "I was in Prague last week.",
    "We visited Cairo in March.",
    "My sister's cat is called Tom.",
    "Our teacher's name is Mr Green.",
    "I once had a hamster called Fluffy.",
    "My old job was at Oracle.",
    "Tell me about vegan diets.",
    "Write a poem about my dog.",
    "Send an email to my boss.",
    "Set a reminder for my mom's birthday.",
    "Lisbon is lovely.",
    "The restaurant is called Nando's.",
    "What do you know about me?",
    "Ok, thanks a lot.",
    "I guess so.",
    "I'm back.",
    "Who am I?",
]


# ------------------------------------------------------------------ unseen
# Written after the rules were generalised on the misses of the held-out set, committed
# before the rules were first run on it, and never used to change them
# (``offline_profile_unseen.jsonl``). Some are typed in lower case, as people do.
UNSEEN_POSITIVE: list[tuple[str, F]] = [
    ("hey im sam", [("name", "sam")]),
    ("i'm jess, i live in leeds", [("name", "jess"), ("location", "leeds")]),
    ("i work at netflix", [("employer", "netflix")]),
    ("Good evening! I'm Rohan.", [("name", "Rohan")]),
    ("Sorry, my name is Ella, not Ellie.", [("name", "Ella")]),
    ("First time here - I'm Bruno from Recife.", [("name", "Bruno"), ("hometown", "Recife")]),
    (
        "Howdy, I'm Cole and I'm a rancher in Montana.",
        [("name", "Cole"), ("role", "rancher"), ("location", "Montana")],
    ),
    ("My name is Gabriela but everyone calls me Gabi.", [("name", "Gabriela")]),
    ("Nice to meet you, I'm Ivan.", [("name", "Ivan")]),
    ("It's me, Oscar.", [("name", "Oscar")]),
    ("I live in Marseille, in the south of France.", [("location", "Marseille")]),
    ("I'm currently based in Kigali for work.", [("location", "Kigali")]),
    ("I recently moved back to Edinburgh.", [("location", "Edinburgh")]),
    ("I've been living in Taipei for three years now.", [("location", "Taipei")]),
    ("My family and I live in Brno.", [("location", "Brno")]),
    ("We moved to Halifax in 2021.", [("location", "Halifax")]),
    ("I live in the Bronx.", [("location", "Bronx")]),
    ("After years abroad I settled in Turin.", [("location", "Turin")]),
    ("Currently living in Riga.", [("location", "Riga")]),
    ("I was born in Lagos, Nigeria.", [("hometown", "Lagos, Nigeria")]),
    (
        "I'm originally from Minsk but I've lived in Warsaw for a decade.",
        [("hometown", "Minsk"), ("location", "Warsaw")],
    ),
    ("Born and raised in Glasgow.", [("hometown", "Glasgow")]),
    ("I'm a high school teacher.", [("role", "high school teacher")]),
    (
        "I work as a nurse at St Thomas' Hospital.",
        [("role", "nurse"), ("employer", "St Thomas' Hospital")],
    ),
    ("I'm a product designer at Figma.", [("role", "product designer"), ("employer", "Figma")]),
    ("I'm an economist.", [("role", "economist")]),
    ("I'm the head chef at Dishoom.", [("role", "head chef"), ("employer", "Dishoom")]),
    (
        "I'm a backend engineer working at Monzo.",
        [("role", "backend engineer"), ("employer", "Monzo")],
    ),
    ("I'm a retired nurse.", [("role", "retired nurse")]),
    ("I work for Deutsche Bahn.", [("employer", "Deutsche Bahn")]),
    ("I'm a paralegal at a law firm.", [("role", "paralegal")]),
    ("I'm a data engineer.", [("role", "data engineer")]),
    (
        "I just got hired at Pfizer as a lab technician.",
        [("employer", "Pfizer"), ("role", "lab technician")],
    ),
    ("My dog Luna is a husky.", [("pets", "Luna (dog)")]),
    ("We've got a cat called Pudding.", [("pets", "Pudding (cat)")]),
    ("I have a cat, her name is Maple.", [("pets", "Maple (cat)")]),
    ("My guinea pig is called Popcorn.", [("pets", "Popcorn (guinea pig)")]),
    (
        "Our two rabbits are named Flopsy and Mopsy.",
        [("pets", "Flopsy (rabbit)"), ("pets", "Mopsy (rabbit)")],
    ),
    ("I have a labrador called Rolo.", [("pets", "Rolo (labrador)")]),
    ("My kitten Pip is so playful.", [("pets", "Pip (kitten)")]),
    (
        "I'm allergic to shellfish and peanuts.",
        [("allergies", "shellfish"), ("allergies", "peanuts")],
    ),
    ("Heads up: I'm allergic to ibuprofen.", [("allergies", "ibuprofen")]),
    ("I have a mild pollen allergy.", [("allergies", "pollen")]),
    ("I'm allergic to dogs, sadly.", [("allergies", "dogs")]),
    ("I've had a sesame allergy since childhood.", [("allergies", "sesame")]),
    ("I'm a vegetarian, but I eat fish.", [("diet", "vegetarian")]),
    ("I'm vegan, so no dairy please.", [("diet", "vegan")]),
    ("I don't drink alcohol.", [("diet", "no alcohol")]),
    ("I'm on a low-carb diet.", [("diet", "low-carb")]),
    ("I don't eat gluten.", [("diet", "no gluten")]),
    ("I eat a plant-based diet.", [("diet", "plant-based")]),
    ("I'm halal.", [("diet", "halal")]),
    ("I love watching football.", [("likes", "watching football")]),
    ("I enjoy painting in my free time.", [("likes", "painting")]),
    ("I'm really into Korean dramas.", [("likes", "Korean dramas")]),
    ("I like spicy food.", [("likes", "spicy food")]),
    ("I hate traffic.", [("dislikes", "traffic")]),
    ("I don't really like cats.", [("dislikes", "cats")]),
    ("I really can't stand reality TV.", [("dislikes", "reality TV")]),
    ("I love the ocean.", [("likes", "ocean")]),
    ("I'm a big fan of Tolkien.", [("likes", "Tolkien")]),
    ("I enjoy board games and puzzles.", [("likes", "board games"), ("likes", "puzzles")]),
    ("My favorite dessert is tiramisu.", [("favorite_dessert", "tiramisu")]),
    ("My favourite colour is red.", [("favorite_color", "red")]),
    ("Basketball is my favorite sport.", [("favorite_sport", "basketball")]),
    ("My favourite author is Murakami.", [("favorite_author", "Murakami")]),
    ("My favorite fruit is mango.", [("favorite_fruit", "mango")]),
    ("My son Noah is seven.", [("relations", "Noah (son)")]),
    ("My sister, Clara, is a nurse.", [("relations", "Clara (sister)")]),
    ("My husband is called Dev.", [("relations", "Dev (husband)")]),
    ("My best friend is called Tara.", [("relations", "Tara (best friend)")]),
    ("My mother-in-law, Ruth, is visiting.", [("relations", "Ruth (mother-in-law)")]),
    ("My boss is named Karen.", [("relations", "Karen (boss)")]),
    ("I have a brother called Yuki.", [("relations", "Yuki (brother)")]),
    ("My girlfriend's name is Mia.", [("relations", "Mia (girlfriend)")]),
    ("My nephew Arlo loves dinosaurs.", [("relations", "Arlo (nephew)")]),
    ("I prefer concise explanations.", [("preferences", "concise explanations")]),
    ("Please never call me by my surname.", [("preferences", "never call me by my surname")]),
    ("I'd prefer answers in French.", [("preferences", "answers in French")]),
    (
        "Hi, I'm Zara, I'm a dentist in Bristol and I have a dog called Milo.",
        [("name", "Zara"), ("role", "dentist"), ("location", "Bristol"), ("pets", "Milo (dog)")],
    ),
    (
        "I'm Felix. I moved to Hamburg last year and I'm allergic to nuts.",
        [("name", "Felix"), ("location", "Hamburg"), ("allergies", "nuts")],
    ),
    (
        "Name's Kofi, I'm vegetarian and I work at Ericsson.",
        [("name", "Kofi"), ("diet", "vegetarian"), ("employer", "Ericsson")],
    ),
    (
        "Hello, I'm Sun-hee, originally from Busan, now living in Seoul.",
        [("name", "Sun-hee"), ("hometown", "Busan"), ("location", "Seoul")],
    ),
    ("My wife Anya and I live in Kyiv.", [("relations", "Anya (wife)"), ("location", "Kyiv")]),
    (
        "I'm Paulo, a mechanic from Porto.",
        [("name", "Paulo"), ("role", "mechanic"), ("hometown", "Porto")],
    ),
]
UNSEEN_NEGATIVE: list[str] = [
    "I have three cats.",
    "Can you recommend a vet in Bristol?",
    "What's the capital of Peru?",
    "My husband loves hiking.",
    "Her name's Rita.",
    "His dog is called Max.",
    "My friend's sister lives in Oslo.",
    "My daughter is allergic to eggs.",
    "My son wants to be a pilot.",
    "If I moved to Canada, would I need a visa?",
    "I'd like a vegetarian recipe.",
    "I'd like to know the time in Sydney.",
    "I wonder if I'm allergic to gluten.",
    "I wish I lived near the sea.",
    "I might become a teacher.",
    "I'm going to Lisbon next month.",
    "I'm flying home to Madrid.",
    "I'm meeting Sarah tomorrow.",
    "I'm not a nurse.",
    "I don't work for Amazon anymore.",
    "I'm not really into sports.",
    "I never had a pet.",
    "I have no allergies.",
    "I'm not vegan.",
    "Nobody calls me Bob.",
    "Don't call me Robert.",
    "I used to have a cat named Tiger.",
    "When I was a student I lived in Paris.",
    "I lived in Rome for a year back in 2010.",
    "Is Berlin expensive?",
    "The cat is sleeping.",
    "It's raining in London.",
    "It's Tuesday already.",
    "This is great, thanks!",
    "I'm okay.",
    "I'm on my way.",
    "I'm at work.",
    "I'm in Lisbon for the weekend.",
    "Explain what a pescatarian diet is.",
    "My phone is called Pixel.",
    "What should I name my dog?",
    "Thanks, I love it!",
    "I like that.",
    "Ok I'm done.",
]


# ------------------------------------------------------------------ templates
NAMES = [
    "Nadia",
    "Pedro",
    "Hiroshi",
    "Fatima",
    "Oskar",
    "Beatriz",
    "Tariq",
    "Elif",
    "Marco",
    "Siobhan",
    "Kwame",
    "Astrid",
]
CITIES = [
    "Lisbon",
    "Berlin",
    "Madrid",
    "Seoul",
    "Buenos Aires",
    "Helsinki",
    "Cape Town",
    "Vancouver",
    "Kyoto",
    "Rotterdam",
    "New Delhi",
    "Montreal",
]
ROLES = [
    "civil engineer",
    "nurse",
    "graphic designer",
    "pharmacist",
    "teacher",
    "chef",
    "web developer",
    "translator",
    "journalist",
    "physiotherapist",
    "librarian",
    "carpenter",
]
COMPANIES = [
    "Amazon",
    "Nokia",
    "Unilever",
    "Airbus",
    "Philips",
    "Mercado Libre",
    "Rakuten",
    "Atlassian",
    "Zalando",
    "Canva",
]
SPECIES = ["dog", "cat", "rabbit", "parrot", "hamster", "guinea pig", "ferret", "turtle"]
PET_NAMES = [
    "Coco",
    "Bruno",
    "Nala",
    "Ziggy",
    "Pumpkin",
    "Oreo",
    "Loki",
    "Peanut",
    "Juno",
    "Waffles",
]
ALLERGENS = [
    "peanuts",
    "shellfish",
    "pollen",
    "wheat",
    "soy",
    "sesame",
    "kiwi",
    "aspirin",
    "dust mites",
    "mould",
]
DIETS = ["vegetarian", "vegan", "pescatarian", "gluten-free", "dairy-free"]
AVOIDED = ["pork", "beef", "dairy", "gluten", "eggs", "seafood", "alcohol", "mushrooms"]
THINGS = [
    "hiking",
    "jazz",
    "Thai food",
    "board games",
    "surfing",
    "poetry",
    "running",
    "knitting",
    "opera",
    "horror movies",
    "karaoke",
    "camping",
]
FAVOURITES = [
    ("colour", "color", ["purple", "orange", "teal"]),
    ("food", "food", ["lasagna", "tacos", "dumplings"]),
    ("movie", "movie", ["Amélie", "Inception", "Jaws"]),
    ("band", "band", ["ABBA", "Queen", "Daft Punk"]),
    ("book", "book", ["Emma", "Beloved", "Ulysses"]),
    ("drink", "drink", ["espresso", "lemonade", "mint tea"]),
    ("city", "city", ["Prague", "Kyoto", "Rome"]),
]
RELATIONS = [
    "sister",
    "brother",
    "wife",
    "husband",
    "friend",
    "daughter",
    "son",
    "mother",
    "father",
    "partner",
    "aunt",
    "uncle",
    "niece",
    "nephew",
    "roommate",
    "fiancée",
]

T_POSITIVE: list[tuple[str, str, str]] = [
    # (template, category, value template); slots: name city role company species pet
    ("My name is {name}.", "name", "{name}"),
    ("Hi there, I'm {name}!", "name", "{name}"),
    ("Hello, I'm {name}.", "name", "{name}"),
    ("I live in {city}.", "location", "{city}"),
    ("I moved to {city} a few months ago.", "location", "{city}"),
    ("I'm currently living in {city}.", "location", "{city}"),
    ("I'm originally from {city}.", "hometown", "{city}"),
    ("I grew up in {city}.", "hometown", "{city}"),
    ("I work as a {role}.", "role", "{role}"),
    ("I'm a {role}.", "role", "{role}"),
    ("I work at {company}.", "employer", "{company}"),
    ("I work for {company}.", "employer", "{company}"),
    ("I have a {species} called {pet}.", "pets", "{pet} ({species})"),
    ("My {species} is named {pet}.", "pets", "{pet} ({species})"),
    ("We have a {species} named {pet}.", "pets", "{pet} ({species})"),
    ("I'm allergic to {allergen}.", "allergies", "{allergen}"),
    ("I am allergic to {allergen}, just so you know.", "allergies", "{allergen}"),
    ("I'm {diet}.", "diet", "{diet}"),
    ("I don't eat {avoided}.", "diet", "no {avoided}"),
    ("I can't eat {avoided}.", "diet", "no {avoided}"),
    ("I really like {thing}.", "likes", "{thing}"),
    ("I love {thing}.", "likes", "{thing}"),
    ("I can't stand {thing}.", "dislikes", "{thing}"),
    ("I hate {thing}.", "dislikes", "{thing}"),
    ("My favourite {fav_said} is {fav}.", "favorite_{fav_key}", "{fav}"),
    ("My {relation} is called {name}.", "relations", "{name} ({relation})"),
    ("My {relation} {name} is coming over tonight.", "relations", "{name} ({relation})"),
    ("I have a {relation} named {name}.", "relations", "{name} ({relation})"),
]
T_COMBINED: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Hi! I'm {name}, I work as a {role} in {city}.",
        [("name", "{name}"), ("role", "{role}"), ("location", "{city}")],
    ),
    (
        "I'm {name}, a {role} at {company}.",
        [("name", "{name}"), ("role", "{role}"), ("employer", "{company}")],
    ),
    (
        "I live in {city} with my {species} {pet}.",
        [("location", "{city}"), ("pets", "{pet} ({species})")],
    ),
]
T_NEGATIVE: list[str] = [
    "Do I live in {city}?",
    "Am I allergic to {allergen}?",
    "Is my {species} called {pet}?",
    "If I moved to {city}, would I like it?",
    "My {relation} works at {company}.",
    "My {relation} lives in {city}.",
    "My {relation} is allergic to {allergen}.",
    "Should I become a {role}?",
    "I'd like to know more about {city}.",
    "What's the best {species} food?",
    "I don't live in {city}.",
    "Is {name} a common name?",
]


def _slots(rng: random.Random) -> dict[str, str]:
    fav_said, fav_key, favs = rng.choice(FAVOURITES)
    return {
        "name": rng.choice(NAMES),
        "city": rng.choice(CITIES),
        "role": rng.choice(ROLES),
        "company": rng.choice(COMPANIES),
        "species": rng.choice(SPECIES),
        "pet": rng.choice(PET_NAMES),
        "allergen": rng.choice(ALLERGENS),
        "diet": rng.choice(DIETS),
        "avoided": rng.choice(AVOIDED),
        "thing": rng.choice(THINGS),
        "fav_said": fav_said,
        "fav_key": fav_key,
        "fav": rng.choice(favs),
        "relation": rng.choice(RELATIONS),
    }


def rows() -> list[dict[str, object]]:
    """Every labelled statement: the hand-written ones, then the templated ones."""
    rng = random.Random(24)
    out: list[dict[str, object]] = []
    for text, facts in HAND_POSITIVE:
        out.append({"text": text, "facts": [list(f) for f in facts], "origin": "hand"})
    out.extend({"text": text, "facts": [], "origin": "hand"} for text in HAND_NEGATIVE)
    seen = {str(r["text"]) for r in out}

    def add(text: str, facts: list[list[str]]) -> None:
        if text not in seen:
            seen.add(text)
            out.append({"text": text, "facts": facts, "origin": "template"})

    for template, category, value in T_POSITIVE * 3:
        s = _slots(rng)
        add(template.format(**s), [[category.format(**s), value.format(**s)]])
    for template, facts in T_COMBINED * 4:
        s = _slots(rng)
        add(template.format(**s), [[c, v.format(**s)] for c, v in facts])
    for template in T_NEGATIVE * 2:
        add(template.format(**_slots(rng)), [])
    return out


def holdout_rows() -> list[dict[str, object]]:
    """The held-out statements (see ``HOLDOUT_POSITIVE``)."""
    out: list[dict[str, object]] = [
        {"text": text, "facts": [list(f) for f in facts], "origin": "holdout"}
        for text, facts in HOLDOUT_POSITIVE
    ]
    out.extend({"text": text, "facts": [], "origin": "holdout"} for text in HOLDOUT_NEGATIVE)
    return out


def unseen_rows() -> list[dict[str, object]]:
    """The unseen statements (see ``UNSEEN_POSITIVE``)."""
    out: list[dict[str, object]] = [
        {"text": text, "facts": [list(f) for f in facts], "origin": "unseen"}
        for text, facts in UNSEEN_POSITIVE
    ]
    out.extend({"text": text, "facts": [], "origin": "unseen"} for text in UNSEEN_NEGATIVE)
    return out


def main() -> None:
    """Write the JSONL files next to this script."""
    here = Path(__file__)
    for name, content in [
        ("offline_profile.jsonl", rows()),
        ("offline_profile_holdout.jsonl", holdout_rows()),
        ("offline_profile_unseen.jsonl", unseen_rows()),
    ]:
        with here.with_name(name).open("w", encoding="utf-8") as fh:
            for row in content:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
