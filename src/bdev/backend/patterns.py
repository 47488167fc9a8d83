"""Architecture patterns and integration points: deterministic heuristics over folder
names, imports and dependencies, worded for an agent to read."""

from __future__ import annotations

import ast
import re
from pathlib import PurePosixPath

from bdev.backend.pyast import last_name
from bdev.backend.pyindex import PyIndex
from bdev.backend.tree import SourceTree, is_test_file

# Layer -> folder or module names that hold it.
LAYERS = {
    "routers": ("routers", "routes", "endpoints", "controllers", "views", "handlers", "api"),
    "services": ("services", "service", "usecases", "use_cases", "domain"),
    "repositories": ("repositories", "repository", "repos", "crud", "dal", "dao"),
    "models": ("models", "schemas", "entities", "db"),
}
# (what the code imports or depends on) -> integration point.
INTEGRATIONS = [
    ("httpx", "outbound HTTP: httpx"),
    ("requests", "outbound HTTP: requests"),
    ("urllib3", "outbound HTTP: urllib3"),
    ("axios", "outbound HTTP: axios"),
    ("node-fetch", "outbound HTTP: node-fetch"),
    ("grpc", "RPC: gRPC"),
    ("@grpc/grpc-js", "RPC: gRPC"),
    ("celery", "message queue: Celery"),
    ("kombu", "message queue: Kombu"),
    ("pika", "message queue: RabbitMQ (pika)"),
    ("aio_pika", "message queue: RabbitMQ (aio-pika)"),
    ("amqplib", "message queue: RabbitMQ (amqplib)"),
    ("kafka", "message queue: Kafka"),
    ("confluent_kafka", "message queue: Kafka"),
    ("aiokafka", "message queue: Kafka"),
    ("kafkajs", "message queue: Kafka"),
    ("nats", "message queue: NATS"),
    ("rq", "message queue: RQ (Redis)"),
    ("dramatiq", "message queue: Dramatiq"),
    ("bullmq", "message queue: BullMQ"),
    ("redis", "cache: Redis"),
    ("ioredis", "cache: Redis"),
    ("pymemcache", "cache: Memcached"),
    ("pylibmc", "cache: Memcached"),
    ("boto3", "external API: AWS (boto3)"),
    ("aws-sdk", "external API: AWS"),
    ("stripe", "external API: Stripe"),
    ("twilio", "external API: Twilio"),
    ("sendgrid", "external API: SendGrid"),
    ("smtplib", "external API: SMTP email"),
    ("openai", "external API: OpenAI"),
    ("anthropic", "external API: Anthropic"),
    ("google.cloud", "external API: Google Cloud"),
    ("slack_sdk", "external API: Slack"),
    ("sentry_sdk", "monitoring: Sentry"),
    ("@sentry/node", "monitoring: Sentry"),
    ("prometheus_client", "monitoring: Prometheus metrics"),
    ("prom-client", "monitoring: Prometheus metrics"),
    ("opentelemetry", "monitoring: OpenTelemetry tracing"),
    ("elasticsearch", "search: Elasticsearch"),
]


def _imports(index: PyIndex) -> set[str]:
    names: set[str] = set()
    for mod in index.all:
        names.update(mod.imported)
    return names


def integration_points(
    index: PyIndex, language: str | None, dependencies: list[str], framework: str | None
) -> list[str]:
    """Python: what the application code imports (test-only dependencies do not count);
    other languages: the declared dependencies."""
    imported = _imports(index)
    tops = {n.split(".")[0] for n in imported}
    if language != "python":
        tops |= set(dependencies)
    found = {
        label
        for key, label in INTEGRATIONS
        if key in tops or ("." in key and any(n.startswith(key) for n in imported))
    }
    # aiohttp as a server is the framework; as a client it is an integration.
    if framework != "aiohttp" and "aiohttp" in tops:
        found.add("outbound HTTP: aiohttp")
    if framework == "aiohttp" and "aiohttp.ClientSession" in imported:
        found.add("outbound HTTP: aiohttp")
    return sorted(found)


def _layers(tree: SourceTree) -> list[str]:
    names: set[str] = set()
    for rel in tree.files:
        if is_test_file(rel):
            continue
        path = PurePosixPath(rel)
        names.update(path.parts[:-1])
        names.add(path.stem)
    present = [layer for layer, words in LAYERS.items() if names & set(words)]
    return present if len(present) >= 2 else []


def architecture_patterns(
    tree: SourceTree, index: PyIndex, framework: str | None, has_migrations: bool
) -> list[str]:
    patterns: list[str] = []
    layers = _layers(tree)
    if layers:
        patterns.append("layered: " + "/".join(layers))
    calls: set[str] = set()
    functions: set[str] = set()
    classes: set[str] = set()
    for mod in index.all:
        for node in mod.nodes:
            if isinstance(node, ast.Call):
                calls.add(last_name(node.func))
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                functions.add(node.name)
            elif isinstance(node, ast.ClassDef):
                classes.add(node.name)
    if any(re.fullmatch(r"(create|make|build)_app", f) for f in functions):
        patterns.append("app factory")
    if "Depends" in calls or "Provide" in calls:
        patterns.append("dependency injection")
    if "APIRouter" in calls:
        patterns.append("modular routers (APIRouter)")
    if "Blueprint" in calls:
        patterns.append("blueprints")
    if any(c.endswith("Repository") for c in classes):
        patterns.append("repository pattern")
    if any(c.endswith("Service") for c in classes):
        patterns.append("service classes")
    if "BaseSettings" in {b for mod in index.all for b in _bases(mod.nodes)}:
        patterns.append("typed settings from the environment (pydantic-settings)")
    if "add_middleware" in calls or "middleware" in calls:
        patterns.append("middleware")
    if framework == "django":
        patterns.append("Django apps (model-template-view)")
    if framework == "rails":
        patterns.append("MVC (Rails)")
    if has_migrations:
        patterns.append("versioned schema migrations")
    if tree.named("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml"):
        patterns.append("containerised (docker compose)")
    return patterns


def _bases(nodes: list[ast.AST]) -> list[str]:
    return [last_name(b) for n in nodes if isinstance(n, ast.ClassDef) for b in n.bases]
