package dev.parley;

import org.apache.camel.CamelContext;
import org.apache.camel.spi.PackageScanResourceResolver;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Decides which YAML route files Parley loads: the packaged ones, each replaced by a file of the
 * same name in the routes folder where Parley runs, plus any other route files found there. A user
 * edits routes without rebuilding.
 */
final class RouteFiles {

    private static final String GLOB = "*.camel.yaml";

    private RouteFiles() {
    }

    static String includePattern(CamelContext context, Path folder) throws Exception {
        Map<String, String> byName = new LinkedHashMap<>();
        PackageScanResourceResolver resolver = PluginHelper.getPackageScanResourceResolver(context);
        for (Resource packaged : resolver.findResources("classpath:routes/" + GLOB)) {
            String location = packaged.getLocation();
            byName.put(location.substring(location.lastIndexOf('/') + 1), "classpath:routes/"
                    + location.substring(location.lastIndexOf('/') + 1));
        }
        if (Files.isDirectory(folder)) {
            try (DirectoryStream<Path> local = Files.newDirectoryStream(folder, GLOB)) {
                for (Path file : local) {
                    byName.put(file.getFileName().toString(), "file:" + file.toAbsolutePath());
                }
            } catch (IOException e) {
                throw new IllegalStateException("Cannot read the routes folder " + folder.toAbsolutePath(), e);
            }
        }
        if (byName.isEmpty()) {
            throw new IllegalStateException("No route files found, neither packaged nor in " + folder.toAbsolutePath());
        }
        return String.join(",", byName.values());
    }
}
