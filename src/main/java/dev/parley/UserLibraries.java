package dev.parley;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Properties;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The jars an integrator drops into the lib folder where Parley runs (a JMS client, camel-aws2-s3,
 * ...): put on Parley's class path at start-up, so routes can use their components without a
 * rebuild. {@code java -jar} takes no {@code -cp}, so Parley opens the folder itself. A jar that
 * cannot be read, or a Camel jar of another Camel version than Parley's, stops Parley at start-up.
 */
final class UserLibraries {

    private static final Logger LOG = LoggerFactory.getLogger(UserLibraries.class);
    private static final String CAMEL_POMS = "META-INF/maven/org.apache.camel/";

    private UserLibraries() {
    }

    /** A class loader over the folder's jars, or null when the folder has none. */
    static ClassLoader open(Path folder, String camelVersion, ClassLoader parent) {
        if (!Files.isDirectory(folder)) {
            return null;
        }
        List<URL> jars = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, "*.jar")) {
            for (Path jar : files) {
                check(jar, camelVersion);
                jars.add(url(jar));
            }
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read the lib folder " + folder.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        if (jars.isEmpty()) {
            return null;
        }
        LOG.info("Added {} jars from {} to the class path", jars.size(), folder.toAbsolutePath());
        return new URLClassLoader(jars.toArray(URL[]::new), parent);
    }

    private static void check(Path jar, String camelVersion) {
        try (JarFile file = new JarFile(jar.toFile())) {
            Enumeration<JarEntry> entries = file.entries();
            while (entries.hasMoreElements()) {
                JarEntry entry = entries.nextElement();
                if (entry.getName().startsWith(CAMEL_POMS) && entry.getName().endsWith("/pom.properties")) {
                    Properties pom = new Properties();
                    try (InputStream in = file.getInputStream(entry)) {
                        pom.load(in);
                    }
                    String version = pom.getProperty("version");
                    if (version != null && !version.equals(camelVersion)) {
                        throw new IllegalStateException("lib jar " + jar.toAbsolutePath() + " is "
                                + pom.getProperty("artifactId") + " of Camel " + version + ", but Parley runs Camel "
                                + camelVersion + ": use the " + camelVersion + " version of that jar");
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("lib jar " + jar.toAbsolutePath() + " cannot be read as a jar: " + e.getMessage(), e);
        }
    }

    private static URL url(Path jar) {
        try {
            return jar.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalStateException("lib jar " + jar + " has no URL", e);
        }
    }
}
