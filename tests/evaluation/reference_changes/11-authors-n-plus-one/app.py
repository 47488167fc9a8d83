"""A bookshop's authors and their books, on SQLAlchemy."""

import os
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import ForeignKey, String, create_engine, select
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    selectinload,
)

engine = create_engine(f"sqlite:///{os.environ.get('DATABASE_PATH', 'bookshop.db')}")


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))  # private: never listed
    books: Mapped[list["Book"]] = relationship(back_populates="author", order_by="Book.id")


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    year: Mapped[int]
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    author: Mapped[Author] = relationship(back_populates="books")


Base.metadata.create_all(engine)
app = FastAPI(title="bookshop")


class NewAuthor(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$", max_length=254)


class NewBook(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    year: int = Field(ge=1400, le=2100)


def session():
    with Session(engine) as s:
        yield s


@app.post("/authors", status_code=201)
def add_author(body: NewAuthor, s: Annotated[Session, Depends(session)]) -> dict:
    author = Author(name=body.name, email=body.email)
    s.add(author)
    s.commit()
    return {"id": author.id, "name": author.name}


@app.post("/authors/{author_id}/books", status_code=201)
def add_book(author_id: int, body: NewBook, s: Annotated[Session, Depends(session)]) -> dict:
    if s.get(Author, author_id) is None:
        raise HTTPException(404, "no such author")
    book = Book(title=body.title, year=body.year, author_id=author_id)
    s.add(book)
    s.commit()
    return {"id": book.id, "title": book.title, "year": book.year}


@app.get("/authors")
def list_authors(s: Annotated[Session, Depends(session)]) -> list[dict]:
    result = []
    # One query for the authors, one for all their books (not one per author).
    query = select(Author).order_by(Author.id).options(selectinload(Author.books))
    for author in s.scalars(query):
        books = [{"id": b.id, "title": b.title, "year": b.year} for b in author.books]
        result.append({"id": author.id, "name": author.name, "books": books})
    return result
