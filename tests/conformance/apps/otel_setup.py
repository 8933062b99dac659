"""What every conformance app shares: its arguments and the OpenTelemetry SDK set up to export
each span over OTLP/HTTP as it ends (so nothing waits in a batch when the app exits)."""
import os
import sys

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor


def setup():
    """(instrumentation, provider_url, tracer_provider, tracer) from
    argv: INSTRUMENTATION PROVIDER_URL OTLP_HTTP_URL SERVICE_NAME."""
    library, provider_url, otlp_url, service = sys.argv[1:5]
    # Message content on the spans, where the official instrumentations put it only when asked
    # (opentelemetry-util-genai; the others capture it by default): the content is judged too.
    os.environ.setdefault("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "span_only")
    tp = TracerProvider(resource=Resource.create({"service.name": service}))
    tp.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=otlp_url + "/v1/traces")))
    trace.set_tracer_provider(tp)
    return library, provider_url, tp, trace.get_tracer("conformance-app")


def instrument(library, tp, instrumentors):
    """Instruments with the one of `instrumentors` that `library` names: "module:Class" (an
    OpenTelemetry instrumentor) or a function of the tracer provider (a library with its own
    set-up call); exits naming the known ones when it names none."""
    import importlib
    if library not in instrumentors:
        raise SystemExit(f"unknown instrumentation {library} (known: {', '.join(instrumentors)})")
    if callable(instrumentors[library]):
        instrumentors[library](tp)
        return
    module, cls = instrumentors[library].split(":")
    getattr(importlib.import_module(module), cls)().instrument(tracer_provider=tp)


def finish(tp):
    tp.force_flush()
    tp.shutdown()
    print("sent")
