"""What simulated people are called, drive, say and where they live.

Plain word lists and seeded choices: the dashboard and chat look like a city's day, and a
seed reproduces the same conversation openers and addresses.
"""

from __future__ import annotations

import random

FIRST_NAMES = (
    "Alex", "Blair", "Casey", "Devon", "Emery", "Finley", "Gray", "Harper", "Indy", "Jules",
    "Kai", "Lane", "Morgan", "Noel", "Oakley", "Parker", "Quinn", "Reese", "Sage", "Tatum",
)  # fmt: skip
LAST_NAMES = (
    "Alvarez", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ibrahim",
    "Jensen", "Kim", "Lopez", "Murphy", "Nguyen", "Okoro", "Patel", "Rossi", "Silva", "Tran",
)  # fmt: skip
STREETS = (
    "Maple St", "Oak Ave", "Cedar Ln", "Riverside Dr", "Congress Ave", "Lamar Blvd",
    "Guadalupe St", "Barton Springs Rd", "Cesar Chavez St", "Red River St", "Airport Blvd",
    "Manor Rd", "Burnet Rd", "South 1st St", "Enfield Rd", "Duval St", "Speedway",
)  # fmt: skip
VEHICLES = (
    ("Toyota", "Camry", "medium"),
    ("Honda", "Civic", "small"),
    ("Ford", "F-150", "large"),
    ("Tesla", "Model 3", "medium"),
    ("Subaru", "Outback", "medium"),
    ("Chevrolet", "Suburban", "xl"),
    ("Mini", "Cooper", "small"),
    ("Jeep", "Wrangler", "large"),
)
COLORS = ("white", "black", "silver", "red", "blue", "grey", "green")
CUSTOMER_OPENERS = (
    "Hi! The car is in the driveway.",
    "Hello, I'll leave the keys with the front desk.",
    "Hey, it's the one parked by the mailbox.",
    "Please take extra care with the wheels, thanks!",
)
CUSTOMER_REPLIES = ("Great, thanks!", "Perfect.", "Sounds good 👍", "See you soon!")
WASHER_OPENERS = ("On my way!", "Hi, I've got your order, heading over now.")
WASHER_ARRIVALS = ("I'm here, starting shortly.", "Arrived, I can see the car.")
WASHER_REPLIES = ("No problem!", "Got it, thanks.", "Will do.", "Sure thing.")
REVIEW_COMMENTS = (
    "Spotless, thank you!",
    "Quick and friendly.",
    "Good job overall.",
    "Car looks brand new.",
    None,
)
RELEASE_REASONS = ("flat tyre on the van", "ran out of supplies", "family emergency")
CANCEL_REASONS = ("changed my mind", "plans changed", "booked by mistake")


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def street_address(rng: random.Random) -> str:
    return f"{rng.randint(100, 9899)} {rng.choice(STREETS)}"


def plate(rng: random.Random) -> str:
    letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3))
    return f"SIM-{letters}{rng.randint(10, 99)}"


def review_stars(rng: random.Random) -> int:
    """3 to 5 stars, mostly 5: a simulated city of satisfied customers."""
    return rng.choices((3, 4, 5), weights=(1, 3, 6))[0]
