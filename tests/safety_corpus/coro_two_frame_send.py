# Class: hidden-state
# Hazard: each awaited send writes a header frame, waits for the peer, then writes the body frame
#   to one shared channel; awaited in turn the frames pair up, gathered they interleave.
# Prints: the channel's frames, each header followed by its body.
import asyncio


class Channel:
    def __init__(self) -> None:
        self.frames: list[str] = []

    async def send(self, message: str) -> int:
        self.frames.append(f"header:{message}")
        await asyncio.sleep(0.01 * (6 - len(message)))  # the peer acknowledges the header
        self.frames.append(f"body:{message}")
        return len(message)


async def main(channel: Channel, messages: list[str]) -> None:
    sent = []
    for message in messages:
        sent.append(await channel.send(message))
    print(channel.frames)
    print(sum(sent))


if __name__ == "__main__":
    asyncio.run(main(Channel(), ["a", "bb", "ccc", "dddd", "eeeee"]))
