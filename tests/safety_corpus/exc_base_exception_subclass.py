# Class: exceptions
# Hazard: a BaseException subclass (a job cancellation) raised by one item; serially nothing after
#   it runs, and the exception reaches the top with the program's own exit path.
# Prints: "cancelled at job 2", the jobs that ran: 0, 1, 2.
import time

RAN: list[int] = []


class Cancelled(BaseException):
    pass


def run(job: int) -> int:
    time.sleep(0.01)  # the worker
    RAN.append(job)
    if job == 2:
        raise Cancelled(job)
    return job * job


def main() -> None:
    try:
        squares = [run(job) for job in range(6)]
        print(squares)
    except Cancelled as stop:
        time.sleep(0.05)
        print(f"cancelled at job {stop}", sorted(RAN))


if __name__ == "__main__":
    main()
