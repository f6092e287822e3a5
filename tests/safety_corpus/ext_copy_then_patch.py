# Class: external-effects
# Hazard: the steps are a copy and then patches of the copy; each patch needs the file the step
#   before produced.
# Prints: the final config after the copy and three patches.
import shutil
import time


def apply(step: tuple[str, str]) -> str:
    action, value = step
    if action == "copy":
        shutil.copy("base.cfg", "site.cfg")
    else:
        time.sleep(0.03 * (4 - int(value[-1])))  # fetches the patch
        with open("site.cfg", "a") as handle:
            handle.write(f"{value}\n")
    return action


def main() -> None:
    with open("base.cfg", "w") as handle:
        handle.write("[site]\n")
    steps = [("copy", ""), ("patch", "a=1"), ("patch", "b=2"), ("patch", "c=3")]
    done = [apply(step) for step in steps]
    print(done)
    with open("site.cfg") as handle:
        print(handle.read())


if __name__ == "__main__":
    main()
