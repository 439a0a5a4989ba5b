package dev.parley.webhook;

import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;

/** A started Camel for dispatchers made outside Parley, as Parley's own context would be. */
final class TestCamel {

    static final CamelContext CONTEXT = start();

    private TestCamel() {
    }

    private static CamelContext start() {
        CamelContext context = new DefaultCamelContext();
        context.start();
        Runtime.getRuntime().addShutdownHook(new Thread(context::stop));
        return context;
    }
}
