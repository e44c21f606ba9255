"""The check of 01_basic_gather accepts the solution and names each typical mistake."""

import asyncio

import pytest

from lab.checks import CheckFailed, NotSolvedYet
from lab.exercises.basic_gather import check_dashboard


async def get_json(session, url):
    async with session.get(url) as response:
        return await response.json()


def calls(session, base_url, user_id):
    return (get_json(session, f"{base_url}/users/{user_id}"),
            get_json(session, f"{base_url}/users/{user_id}/orders"),
            get_json(session, f"{base_url}/users/{user_id}/settings"))


async def solution(session, base_url, user_id):
    profile, orders, settings = await asyncio.gather(*calls(session, base_url, user_id))
    return {"profile": profile, "orders": orders, "settings": settings}


async def one_by_one(session, base_url, user_id):
    profile = await get_json(session, f"{base_url}/users/{user_id}")
    orders = await get_json(session, f"{base_url}/users/{user_id}/orders")
    settings = await get_json(session, f"{base_url}/users/{user_id}/settings")
    return {"profile": profile, "orders": orders, "settings": settings}


async def coroutines_awaited_in_a_loop(session, base_url, user_id):
    results = [await call for call in calls(session, base_url, user_id)]
    return dict(zip(["profile", "orders", "settings"], results))


async def two_then_one(session, base_url, user_id):
    profile, orders = await asyncio.gather(get_json(session, f"{base_url}/users/{user_id}"),
                                           get_json(session, f"{base_url}/users/{user_id}/orders"))
    settings = await get_json(session, f"{base_url}/users/{user_id}/settings")
    return {"profile": profile, "orders": orders, "settings": settings}


async def settings_forgotten(session, base_url, user_id):
    profile, orders = await asyncio.gather(get_json(session, f"{base_url}/users/{user_id}"),
                                           get_json(session, f"{base_url}/users/{user_id}/orders"))
    return {"profile": profile, "orders": orders, "settings": None}


async def orders_left_running(session, base_url, user_id):
    orders = asyncio.create_task(get_json(session, f"{base_url}/users/{user_id}/orders"))
    profile, settings = await asyncio.gather(get_json(session, f"{base_url}/users/{user_id}"),
                                             get_json(session, f"{base_url}/users/{user_id}/settings"))
    return {"profile": profile, "orders": orders, "settings": settings}


async def unpacked_in_the_wrong_order(session, base_url, user_id):
    orders, profile, settings = await asyncio.gather(*calls(session, base_url, user_id))
    return {"profile": profile, "orders": orders, "settings": settings}


async def returns_a_list(session, base_url, user_id):
    return await asyncio.gather(*calls(session, base_url, user_id))


async def part_missing(session, base_url, user_id):
    profile, orders, settings = await asyncio.gather(*calls(session, base_url, user_id))
    return {"profile": profile, "orders": orders}


async def fetched_twice(session, base_url, user_id):
    await solution(session, base_url, user_id)
    return await solution(session, base_url, user_id)


async def wrong_user(session, base_url, user_id):
    return await solution(session, base_url, 1)


async def raises(session, base_url, user_id):
    await asyncio.gather(*calls(session, base_url, user_id))
    raise KeyError("name")


async def not_written(session, base_url, user_id):
    raise NotImplementedError


def not_async(session, base_url, user_id):
    return {}


def test_the_solution_passes(capsys):
    asyncio.run(check_dashboard(solution))
    assert capsys.readouterr().out.startswith("✅ dashboard for user 4: 3 requests, all in flight together")


@pytest.mark.parametrize("answer, hint", [
    (one_by_one, "your requests did not overlap: the server saw at most 1 in flight"),
    (coroutines_awaited_in_a_loop, "your requests did not overlap: the server saw at most 1 in flight"),
    (two_then_one, "only 2 of your 3 requests were in flight together"),
    (settings_forgotten, "the server never saw GET /users/4/settings (the settings)"),
    (orders_left_running, "dashboard returned while work it started was still running (GET /users/4/orders)"),
    (unpacked_in_the_wrong_order, "'profile' holds the orders: gather returns results in the order you passed"),
    (returns_a_list, "return a dict with the keys 'profile', 'orders' and 'settings'; got [{"),
    (part_missing, "your dashboard has no 'settings'"),
    (fetched_twice, "the server saw 6 requests"),
    (wrong_user, "the server never saw GET /users/4 (the profile)"),
    (raises, "dashboard raised KeyError: 'name'"),
    (not_async, "not_async should be defined with `async def`"),
])
def test_each_mistake_gets_its_hint(answer, hint):
    with pytest.raises(CheckFailed) as failure:
        asyncio.run(check_dashboard(answer))
    assert type(failure.value) is CheckFailed
    assert hint in str(failure.value)


def test_not_written_yet():
    with pytest.raises(NotSolvedYet, match="not_written is not written yet"):
        asyncio.run(check_dashboard(not_written))
