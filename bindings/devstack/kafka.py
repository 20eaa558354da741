"""Apache Kafka in KRaft mode, one node on 127.0.0.1: jars from Maven Central, format, start, create topics."""

from __future__ import annotations

import base64
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from bindings.devstack.cache import ProvisionError, cache_dir, run_logged
from functions.domain.dead_letters import is_dead_letter_topic

VERSION = "4.1.1"
LOG4J_VERSION = "2.24.3"
SLF4J_VERSION = "2.0.17"  # log4j-slf4j2-impl binds only to the 2.x API; Kafka itself brings 1.7
HEAP = "-Xmx512m"
# The event topics and their partitions (the Kafka key is the task id, so partitions bound per-task order only).
# Dead-letter topics get one partition: they are read by one recorder and their order does not matter.
TOPICS: dict[str, int] = {"task-events": 3, "reminders": 3, "audit-logs": 3}
DLQ_PARTITIONS = 1

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.todo-functions</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>{v}</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>{v}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>{slf4j}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId>
      <version>{log4j}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId>
      <version>{log4j}</version></dependency>
  </dependencies>
</project>
"""

_LOG4J2 = """status = warn
appender.out.type = Console
appender.out.name = out
appender.out.target = SYSTEM_ERR
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = {level}
rootLogger.appenderRef.out.ref = out
"""


def jars_dir() -> Path:
    return cache_dir() / f"kafka-{VERSION}"


def ensure_jars() -> Path:
    """The broker's and tools' runtime classpath, resolved once by Maven into the cache."""
    target = jars_dir()
    if (target / ".complete").exists():
        return target
    if not shutil.which("mvn") or not shutil.which("java"):
        raise ProvisionError("Kafka needs `java` (17+) and `mvn` on PATH")
    work = cache_dir() / "build" / f"kafka-{VERSION}"
    work.mkdir(parents=True, exist_ok=True)
    (work / "pom.xml").write_text(_POM.format(v=VERSION, log4j=LOG4J_VERSION, slf4j=SLF4J_VERSION))
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = ["mvn", "-B", "-q", "dependency:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={tmp}"]
    run_logged(cmd, cwd=work, timeout=1800)
    (tmp / "log4j2.properties").write_text(_LOG4J2.format(level="WARN"))
    (tmp / ".complete").write_text(VERSION)
    shutil.rmtree(target, ignore_errors=True)
    tmp.replace(target)
    return target


def java_cmd(main: str, *args: str, heap: str = "-Xmx256m") -> list[str]:
    jars = ensure_jars()
    return [
        "java",
        heap,
        "-XX:+UseSerialGC",  # two shared cores: no parallel GC threads
        f"-Dlog4j2.configurationFile={jars / 'log4j2.properties'}",
        "-cp",
        str(jars / "*"),
        main,
        *args,
    ]


def server_properties(log_dir: Path, port: int, controller_port: int) -> str:
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name=PLAINTEXT",
            f"controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}",
            f"log.dirs={log_dir}",
            "num.partitions=1",
            "offsets.topic.num.partitions=3",
            "offsets.topic.replication.factor=1",
            "share.coordinator.state.topic.replication.factor=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            # Topics are created explicitly with their partition counts; a typo must not create a new one.
            "auto.create.topics.enable=false",
            "",
        ]
    )


def new_cluster_id(make: Callable[[], uuid.UUID] = uuid.uuid4) -> str:
    """A random cluster id as Kafka writes them (base64url of a UUID, unpadded), never starting with "-": one in 64
    did, and the storage tool's argument parser then read it as an option ("--cluster-id: expected one argument").
    Kafka's own Uuid.randomUuid() draws again in that case; so does this."""
    while True:
        text = base64.urlsafe_b64encode(make().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def format_storage(home: Path, port: int, controller_port: int) -> Path:
    """Write server.properties and format the log dir once (a formatted dir keeps its cluster id)."""
    home.mkdir(parents=True, exist_ok=True)
    props = home / "server.properties"
    log_dir = home / "data"
    props.write_text(server_properties(log_dir, port, controller_port))
    if not (log_dir / "meta.properties").exists():
        cmd = java_cmd("kafka.tools.StorageTool", "format", "--standalone", f"--cluster-id={new_cluster_id()}")
        cmd += ["-c", str(props)]
        run_logged(cmd, timeout=180)
    return props


def all_topics(extra: dict[str, int] | None = None) -> dict[str, int]:
    """The cluster's topics (bindings/manifests/kafka.py names them), with local partition counts."""
    from bindings.manifests.kafka import topic_names

    # Auto-creation is off: every topic a subscription names, dead-letter ones included, must be created.
    topics = {name: DLQ_PARTITIONS if is_dead_letter_topic(name) else TOPICS.get(name, 1) for name in topic_names()}
    topics.update(extra or {})
    return topics


def create_topics(bootstrap: str, topics: dict[str, int]) -> None:
    """Create each topic that does not exist yet, all in one JVM (TopicAdmin.java, run as a single source file)."""
    source = Path(__file__).with_name("TopicAdmin.java")
    specs = [f"{name}:{partitions}" for name, partitions in topics.items()]
    run_logged(java_cmd(str(source), bootstrap, *specs), timeout=180)
