# Class: thread-bound
# Hazard: one keep-alive http.client connection is reused for every request; a connection carries
#   one request at a time, and concurrent items trip over each other's half-done requests.
# Prints: the sizes of five pages fetched over one connection.
import http.client
import os
import time
import urllib.parse

BASE = urllib.parse.urlsplit(os.environ.get("CORPUS_BASE_URL", "http://127.0.0.1:9"))


def page_size(connection: http.client.HTTPConnection, number: int) -> int:
    time.sleep(0.005)  # stays under the server's rate limit
    connection.request("GET", f"/page/{number}")
    return len(connection.getresponse().read())


def main() -> None:
    connection = http.client.HTTPConnection(BASE.hostname, BASE.port, timeout=10)
    sizes = [page_size(connection, number) for number in [1, 2, 3, 4, 5]]
    connection.close()
    print(sizes)


if __name__ == "__main__":
    main()
