# Class: hidden-state
# Hazard: a seeded random.Random instance passed to every item: its draws follow the order of
#   the calls, so concurrent items swap their samples.
# Prints: the five sampled shard ids, reproducible from the seed.
import random
import time


def pick_shard(user: str, rng: random.Random) -> str:
    time.sleep(0.02 * (6 - len(user)))  # the user service
    return f"{user}->{rng.randrange(1000)}"


def main() -> None:
    rng = random.Random(2024)
    shards = []
    for user in ["a", "bb", "ccc", "dddd", "eeeee"]:
        shards.append(pick_shard(user, rng))
    print(shards)


if __name__ == "__main__":
    main()
