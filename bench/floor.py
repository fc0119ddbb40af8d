"""The floor: a bare FastAPI endpoint, served by uvicorn like the real apps
(`uvicorn bench.floor:app`). Nothing the real apps do costs less than this."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/ping")
async def ping() -> dict[str, bool]:
    return {"ok": True}
