# Class: thread-bound
# Hazard: the per-item work records `threading.current_thread().name`, which is "MainThread" only
#   when the work runs in the calling thread.
# Prints: four "<job> ran on MainThread" lines.
import threading
import time


def run_job(job: str) -> str:
    time.sleep(0.01)  # the job's I/O
    return f"{job} ran on {threading.current_thread().name}"


def main() -> None:
    reports = []
    for job in ["index", "vacuum", "backup", "report"]:
        reports.append(run_job(job))
    print("\n".join(reports))


if __name__ == "__main__":
    main()
