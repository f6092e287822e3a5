# Class: thread-bound
# Hazard: each item guards its request with a SIGALRM timeout; signal handlers can only be set in
#   the main thread, and the alarm is one per process.
# Prints: the four answers, none of them timed out.
import signal
import time


class Timeout(Exception):
    pass


def _expire(signum, frame):
    raise Timeout


def ask(question: str) -> str:
    signal.signal(signal.SIGALRM, _expire)
    signal.alarm(5)
    try:
        time.sleep(0.01)  # the slow service
        return question.upper()
    finally:
        signal.alarm(0)


def main() -> None:
    answers = [ask(question) for question in ["why", "how", "when", "where"]]
    print(answers)


if __name__ == "__main__":
    main()
