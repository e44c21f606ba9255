"""A plain script: here asyncio.run() is the right way in, because no event loop is running yet.

    python scripts/first_request.py http://127.0.0.1:PORT
"""

import asyncio
import sys

import aiohttp


async def main(base_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base_url}/users/1") as response:
            user = await response.json()
    print(f"status {response.status}: user 1 is {user['name']}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
