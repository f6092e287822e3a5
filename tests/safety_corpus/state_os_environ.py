# Class: hidden-state
# Hazard: each item sets os.environ["STAGE"] for the child process it starts; the environment is
#   process-wide, so concurrent items hand each other's stage to their children.
# Prints: four lines "stage=<name>" in stage order.
import os
import subprocess


def run_stage(stage: str) -> str:
    os.environ["STAGE"] = stage
    done = subprocess.run(
        ["sh", "-c", f"sleep 0.0{5 - len(stage)}; echo stage=$STAGE"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def main() -> None:
    outputs = [run_stage(stage) for stage in ["a", "bb", "ccc", "dddd"]]
    print("\n".join(outputs))


if __name__ == "__main__":
    main()
