"""Feedback and delivered answers, in one SQLite file under the data dir (`feedback.sqlite3`).

- `answers`: every answer the bot delivered (query + results as JSON), keyed by a short id that
  travels in button values; "Share", "More sources" and feedback read it back, so they work
  after a restart and show exactly what the user saw.
- `questions`: who asked what (and the answer's id), for each user's recent questions on the
  App Home tab.
- `feedback`: one row per click (helpful / not helpful) with the query, the results shown
  and the user id.

WAL journal with synchronous=FULL: a committed row survives `kill -9` (and power loss).
`vendorcheck feedback` (bot/cli/feedback.py) prints the records.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from index.search.results import Answer
from index.store.sqlite import open_sqlite

DB_NAME = "feedback.sqlite3"
ANSWER_RETENTION_DAYS = 90

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    query TEXT NOT NULL,
    answer TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    user_id TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('helpful', 'not_helpful')),
    query TEXT NOT NULL,
    answer_id TEXT,
    results TEXT NOT NULL,
    channel_id TEXT
);
CREATE INDEX IF NOT EXISTS feedback_created ON feedback(created);
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    user_id TEXT NOT NULL,
    query TEXT NOT NULL,
    answer_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS questions_user ON questions(user_id, id);
"""


def shown_results(answer: Answer, count: int) -> list[dict]:
    """The compact record of the first `count` results, as stored with feedback."""
    return [
        {
            "rank": r.rank,
            "score": round(float(r.score), 4),
            "article_id": r.article.id,
            "title": r.article.title,
            "url": r.article.url,
            "start": r.start,
            "end": r.end,
        }
        for r in answer.results[: max(0, count)]
    ]


class FeedbackStore:
    """Thread-safe (one connection, one lock): the bot writes from several worker threads."""

    def __init__(self, data_dir: Path) -> None:
        data_dir = Path(data_dir)
        self.path = data_dir / DB_NAME
        self._db = open_sqlite(
            data_dir,
            DB_NAME,
            _SCHEMA,
            autocommit=True,
            synchronous="FULL",
            what="the feedback store",
        )
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def prune(self, days: int = ANSWER_RETENTION_DAYS) -> None:
        with self._lock:
            cutoff = time.time() - days * 86400
            self._db.execute("DELETE FROM answers WHERE created < ?", (cutoff,))
            self._db.execute("DELETE FROM questions WHERE created < ?", (cutoff,))

    def save_answer(self, answer: Answer) -> str:
        answer_id = secrets.token_urlsafe(9)
        payload = json.dumps(answer.to_json(), ensure_ascii=False)
        with self._lock:
            self._db.execute(
                "INSERT INTO answers (id, created, query, answer) VALUES (?, ?, ?, ?)",
                (answer_id, time.time(), answer.query, payload),
            )
        return answer_id

    def load_answer(self, answer_id: str) -> Answer | None:
        if not answer_id:
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT answer FROM answers WHERE id = ?", (answer_id,)
            ).fetchone()
        if row is None:
            return None
        try:
            return Answer.from_json(json.loads(row[0]))
        except (ValueError, KeyError, TypeError):
            return None

    def answered_at(self, answer_id: str) -> datetime | None:
        """When the stored answer `answer_id` was given (UTC), or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT created FROM answers WHERE id = ?", (answer_id,)
            ).fetchone()
        return datetime.fromtimestamp(row[0], UTC) if row else None

    def record_question(self, user_id: str, query: str, answer_id: str) -> None:
        if not user_id or not query:
            return
        with self._lock:
            self._db.execute(
                "INSERT INTO questions (created, user_id, query, answer_id) VALUES (?, ?, ?, ?)",
                (time.time(), user_id, query, answer_id),
            )

    def recent_questions(self, user_id: str, limit: int = 10) -> list[dict]:
        """The user's latest distinct questions, newest first: query, answer_id, asked (UTC)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT query, answer_id, MAX(created) AS last FROM questions WHERE user_id = ? "
                "GROUP BY lower(query) ORDER BY last DESC LIMIT ?",
                (user_id, int(limit)),
            ).fetchall()
        return [
            {"query": q, "answer_id": a, "asked": datetime.fromtimestamp(t, UTC)}
            for q, a, t in rows
        ]

    def record(
        self,
        *,
        user_id: str,
        helpful: bool,
        query: str,
        results: list[dict],
        answer_id: str = "",
        channel_id: str = "",
    ) -> int:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO feedback (created, user_id, verdict, query, answer_id, results, "
                "channel_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    time.time(),
                    user_id,
                    "helpful" if helpful else "not_helpful",
                    query,
                    answer_id,
                    json.dumps(results, ensure_ascii=False),
                    channel_id,
                ),
            )
            return int(cursor.lastrowid or 0)

    def feedback(self, limit: int | None = None, verdict: str | None = None) -> list[dict]:
        sql = "SELECT id, created, user_id, verdict, query, answer_id, results, channel_id FROM feedback"
        params: list[object] = []
        if verdict:
            sql += " WHERE verdict = ?"
            params.append(verdict)
        sql += " ORDER BY id DESC"
        if limit:
            sql += " LIMIT ?"
            params.append(int(limit))
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [
            {
                "id": r[0],
                "created": datetime.fromtimestamp(r[1], UTC).isoformat(timespec="seconds"),
                "user_id": r[2],
                "verdict": r[3],
                "query": r[4],
                "answer_id": r[5],
                "results": json.loads(r[6]),
                "channel_id": r[7],
            }
            for r in rows
        ][::-1]
