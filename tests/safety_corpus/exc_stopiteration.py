# Class: exceptions
# Hazard: the per-item lookup lets StopIteration escape when nothing matches; serially the caller
#   catches StopIteration, but raised inside executor.map's generator it becomes RuntimeError.
# Prints: "no replica for eu-south", exit code 0.
import time

REPLICAS = {"eu-west": ["w1", "w2"], "us-east": ["e1"], "eu-south": []}


def first_replica(region: str) -> str:
    time.sleep(0.01)  # the registry
    return next(iter(REPLICAS[region]))


def main() -> None:
    regions = ["eu-west", "us-east", "eu-south", "eu-west"]
    try:
        replicas = [first_replica(region) for region in regions]
        print(replicas)
    except StopIteration:
        print("no replica for eu-south")


if __name__ == "__main__":
    main()
