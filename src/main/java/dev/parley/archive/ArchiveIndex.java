package dev.parley.archive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.session.SessionEvent;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * A search index over the archive (Apache Lucene): one document per archived session, with the words
 * of its final transcripts and translations, its metadata values and its start time. Updated as the
 * archive takes a session's events ({@link #record}), rebuilt from the archive's files on demand
 * ({@link #rebuild}) or when there is none; it is a cache of the archive, never the only copy.
 * A session erased or expired is dropped with {@link #forget}; a hit whose folder is gone is dropped
 * as it is found, so a search never lists a session the archive no longer has.
 */
public final class ArchiveIndex implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ArchiveIndex.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_PAGE_SIZE = 200;
    private static final int SNIPPET_CHARS = 160;
    /** Marks the document of a session whose end the index has taken. */
    private static final Term CLOSED = new Term("closed", "true");
    /** The id of a session whose end the index has taken, as a term: all of them are read at once. */
    private static final String CLOSED_ID = "closed_id";

    /** What a search asks: words (all of them), a metadata value, a start time range [from, to), and a page. */
    public record Search(String words, String metadataValue, Instant from, Instant to, int page, int size) {
        public Search {
            page = Math.max(1, page);
            size = Math.max(1, Math.min(MAX_PAGE_SIZE, size));
        }
    }

    /** One archived session found: what a list shows of it. */
    public record Hit(String sessionId, String folder, Map<String, Object> summary) {
    }

    /** A page of hits, newest first, and how many there are in all. */
    public record Page(long total, int page, int size, List<Hit> hits) {
    }

    /** A session as indexed so far. */
    private static final class Entry {
        final String sessionId;
        final String folder;
        Map<String, Object> call;
        final StringBuilder text = new StringBuilder();
        String snippet = "";
        int finals;

        Entry(String sessionId, String folder, Map<String, Object> call) {
            this.sessionId = sessionId;
            this.folder = folder;
            this.call = call;
        }
    }

    private final TranscriptArchive archive;
    private final Analyzer analyzer = new StandardAnalyzer();
    private final FSDirectory directory;
    private final IndexWriter writer;
    private final SearcherManager searchers;
    private final Map<String, Entry> open = new ConcurrentHashMap<>();
    /** Sessions forgotten while this Parley runs: their late events and leftover files are not indexed again. */
    private final Set<String> forgotten = ConcurrentHashMap.newKeySet();

    /** Opens (or creates) the index in {@code dir}. */
    public ArchiveIndex(TranscriptArchive archive, Path dir) {
        this.archive = archive;
        try {
            Files.createDirectories(dir);
            directory = FSDirectory.open(dir);
            writer = new IndexWriter(directory, new IndexWriterConfig(analyzer)
                    .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND));
            searchers = new SearcherManager(writer, null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the archive index in " + dir, e);
        }
    }

    /** True when the index holds no session (a first start, or one after it was deleted). */
    public boolean empty() {
        return writer.getDocStats().numDocs == 0;
    }

    /**
     * Takes one of an archived session's events: {@code session.created} adds the session;
     * {@code session.joined} its new metadata; {@code transcript.final} and {@code translation.final}
     * their words, searchable at once; {@code session.closed} its end, committed to disk.
     */
    public synchronized void record(SessionEvent event, Instant startedAt) {
        String id = event.sessionId();
        if (forgotten.contains(id)) {
            return;
        }
        Entry entry = open.get(id);
        switch (event.type()) {
            case "session.created" -> {
                @SuppressWarnings("unchecked")
                Map<String, Object> call = new LinkedHashMap<>((Map<String, Object>) event.field("session"));
                call.put("session_id", id);
                entry = new Entry(id, relative(archive.folderOf(id, startedAt)), call);
                open.put(id, entry);
                write(entry);
            }
            case "session.joined" -> {
                if (entry != null) {
                    entry.call.put("metadata", event.field("metadata"));
                    write(entry);
                }
            }
            case "transcript.final", "translation.final" -> {
                if (entry != null) {
                    add(entry, event.type(), event.text());
                    write(entry);
                }
            }
            case "session.closed" -> {
                if (entry == null) {
                    // Closed by this Parley, opened by another (a crash left it open): indexed from its files.
                    indexFolder(archive.folderOf(id, startedAt));
                } else {
                    open.remove(id);
                    entry.call.put("ended_at", event.emittedAt());
                    entry.call.put("end_reason", event.field("reason"));
                    write(entry);
                }
                commit();
            }
            default -> {
            }
        }
    }

    /**
     * Drops a session from the index for good (it was erased, or its retention expired): it is no
     * longer found, and later events of it are not indexed. Safe to call for a session never indexed.
     */
    public synchronized void forget(String sessionId) {
        forgotten.add(sessionId);
        open.remove(sessionId);
        try {
            writer.deleteDocuments(new Term("id", sessionId));
            writer.commit();
            searchers.maybeRefreshBlocking();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot drop " + sessionId + " from the archive index", e);
        }
    }

    /** Builds the index again from every session folder in the archive. Returns the sessions indexed. */
    public synchronized int rebuild() {
        long t0 = System.nanoTime();
        try {
            writer.deleteAll();
            int count = 0;
            try (Stream<Path> folders = sessionFolders()) {
                for (Path folder : (Iterable<Path>) folders::iterator) {
                    String id = folder.getFileName().toString();
                    if (!open.containsKey(id) && indexFolder(folder)) {
                        count++;
                    }
                }
            }
            for (Entry entry : open.values()) {
                write(entry);
                count++;
            }
            commit();
            LOG.info("Archive index rebuilt: {} sessions in {} ms", count, (System.nanoTime() - t0) / 1_000_000);
            return count;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rebuild the archive index", e);
        }
    }

    /** Archived sessions matching a search, newest first, one page of them. */
    public Page search(Search search) {
        Query query = query(search);
        IndexSearcher searcher = null;
        try {
            searchers.maybeRefreshBlocking();
            searcher = searchers.acquire();
            int total = searcher.count(query);
            int upTo = search.page() * search.size();
            TopDocs top = searcher.search(query, Math.max(1, upTo),
                    new Sort(new SortField("started_sort", SortField.Type.LONG, true)));
            List<Hit> hits = new ArrayList<>();
            List<String> gone = new ArrayList<>();
            ScoreDoc[] docs = top.scoreDocs;
            for (int i = (search.page() - 1) * search.size(); i < docs.length; i++) {
                Document doc = searcher.storedFields().document(docs[i].doc);
                Hit hit = hit(doc);
                if (Files.isDirectory(archive.root().resolve(hit.folder()))) {
                    hits.add(hit);
                } else {
                    gone.add(hit.sessionId());
                }
            }
            gone.forEach(this::forget);
            return new Page(total - gone.size(), search.page(), search.size(), hits);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot search the archive index", e);
        } finally {
            release(searcher);
        }
    }

    /** The folder of an archived session, if the index knows it and it is still there. */
    public Optional<Path> folder(String sessionId) {
        IndexSearcher searcher = null;
        try {
            searchers.maybeRefreshBlocking();
            searcher = searchers.acquire();
            TopDocs top = searcher.search(new TermQuery(new Term("id", sessionId)), 1);
            if (top.scoreDocs.length == 0) {
                return Optional.empty();
            }
            Path folder = archive.root().resolve(searcher.storedFields().document(top.scoreDocs[0].doc).get("folder"));
            return Files.isDirectory(folder) ? Optional.of(folder) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the archive index", e);
        } finally {
            release(searcher);
        }
    }

    /**
     * The archived sessions whose metadata has {@code key} = {@code value}, without reading every
     * session's files: those the index holds as closed are found by their metadata value in it (only
     * theirs are read); any other folder of the archive (a session closed moments ago whose end the
     * index has not yet taken, one not yet indexed at all) is read from its files. A closed session's
     * metadata no longer changes, so the index's copy of it is the archive's.
     */
    public List<TranscriptArchive.Archived> withMetadata(String key, String value) {
        IndexSearcher searcher = null;
        try {
            searchers.maybeRefreshBlocking();
            searcher = searchers.acquire();
            List<TranscriptArchive.Archived> found = new ArrayList<>();
            BooleanQuery query = new BooleanQuery.Builder()
                    .add(new TermQuery(new Term("meta", value.trim().toLowerCase(Locale.ROOT))), BooleanClause.Occur.FILTER)
                    .add(new TermQuery(CLOSED), BooleanClause.Occur.FILTER).build();
            for (ScoreDoc d : searcher.search(query, Math.max(1, searcher.getIndexReader().maxDoc())).scoreDocs) {
                Hit hit = hit(searcher.storedFields().document(d.doc));
                Path folder = archive.root().resolve(hit.folder());
                if (hit.summary().get("metadata") instanceof Map<?, ?> meta && value.equals(String.valueOf(meta.get(key)))
                        && Files.isDirectory(folder)) {
                    found.add(archive.archived(folder));
                }
            }
            Set<String> closed = closedIds(searcher);
            try (Stream<Path> folders = sessionFolders()) {
                for (Path folder : (Iterable<Path>) folders::iterator) {
                    String id = folder.getFileName().toString();
                    // A folder left on disk after it was forgotten (an erasure that failed part-way) is found too.
                    if (!closed.contains(id)) {
                        TranscriptArchive.Archived unindexed = archive.archived(folder);
                        if (value.equals(String.valueOf(unindexed.metadata().get(key)))) {
                            found.add(unindexed);
                        }
                    }
                }
            }
            return found;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot search the archive index", e);
        } finally {
            release(searcher);
        }
    }

    /** The sessions whose end the index has taken: its {@code closed_id} terms that a live document holds. */
    private static Set<String> closedIds(IndexSearcher searcher) throws IOException {
        Set<String> ids = new java.util.HashSet<>();
        for (LeafReaderContext leaf : searcher.getIndexReader().leaves()) {
            Terms terms = leaf.reader().terms(CLOSED_ID);
            if (terms == null) {
                continue;
            }
            Bits live = leaf.reader().getLiveDocs();
            TermsEnum each = terms.iterator();
            PostingsEnum docs = null;
            for (BytesRef term = each.next(); term != null; term = each.next()) {
                docs = each.postings(docs, PostingsEnum.NONE);
                for (int doc = docs.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = docs.nextDoc()) {
                    if (live == null || live.get(doc)) {
                        ids.add(term.utf8ToString());
                        break;
                    }
                }
            }
        }
        return ids;
    }

    /** Bytes the index takes on disk. */
    public long sizeOnDisk() {
        long size = 0;
        try {
            for (String file : directory.listAll()) {
                size += directory.fileLength(file);
            }
        } catch (IOException e) {
            // a file merged away while listing: the size is what could be read
        }
        return size;
    }

    @Override
    public synchronized void close() {
        try {
            searchers.close();
            writer.close();
            directory.close();
        } catch (IOException e) {
            LOG.warn("Closing the archive index: {}", e.toString());
        }
    }

    private Query query(Search search) {
        BooleanQuery.Builder all = new BooleanQuery.Builder();
        boolean any = false;
        for (String word : words(search.words())) {
            all.add(new TermQuery(new Term("text", word)), BooleanClause.Occur.FILTER);
            any = true;
        }
        if (search.metadataValue() != null && !search.metadataValue().isBlank()) {
            all.add(new TermQuery(new Term("meta", search.metadataValue().trim().toLowerCase(Locale.ROOT))),
                    BooleanClause.Occur.FILTER);
            any = true;
        }
        if (search.from() != null || search.to() != null) {
            long from = search.from() == null ? Long.MIN_VALUE : search.from().toEpochMilli();
            long to = search.to() == null ? Long.MAX_VALUE : search.to().toEpochMilli() - 1;
            all.add(LongPoint.newRangeQuery("started", from, to), BooleanClause.Occur.FILTER);
            any = true;
        }
        return any ? all.build() : new MatchAllDocsQuery();
    }

    /** The words of a search as the index holds them (lower case, split as transcripts are). */
    private List<String> words(String text) {
        List<String> words = new ArrayList<>();
        if (text == null || text.isBlank()) {
            return words;
        }
        try (TokenStream tokens = analyzer.tokenStream("text", text)) {
            CharTermAttribute term = tokens.addAttribute(CharTermAttribute.class);
            tokens.reset();
            while (tokens.incrementToken()) {
                words.add(term.toString());
            }
            tokens.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return words;
    }

    private static void add(Entry entry, String type, String text) {
        if (text == null || text.isBlank()) {
            return;
        }
        entry.text.append(text).append('\n');
        if ("transcript.final".equals(type)) {
            entry.finals++;
            if (entry.snippet.length() < SNIPPET_CHARS) {
                String more = (entry.snippet.isEmpty() ? "" : " ") + text.trim();
                entry.snippet = (entry.snippet + more).substring(0, Math.min(SNIPPET_CHARS, entry.snippet.length() + more.length()));
            }
        }
    }

    /** Reads a session's folder ({@code call.json}, {@code transcript.jsonl}) into the index; false if it holds no session. */
    private boolean indexFolder(Path folder) {
        String id = folder.getFileName().toString();
        Path callJson = folder.resolve(SessionArchive.CALL_JSON);
        if (forgotten.contains(id) || !Files.isRegularFile(callJson)) {
            return false;
        }
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> call = JSON.readValue(callJson.toFile(), LinkedHashMap.class);
            Entry entry = new Entry(id, relative(folder), call);
            Path transcript = folder.resolve(SessionArchive.TRANSCRIPT);
            if (Files.isRegularFile(transcript)) {
                for (String line : SessionArchive.readTranscript(transcript)) {
                    JsonNode event = JSON.readTree(line);
                    add(entry, event.path("type").asText(), event.path("text").asText(null));
                }
            }
            write(entry);
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.warn("Archive index: {} left out, its files cannot be read: {}", folder, e.toString());
            return false;
        }
    }

    private void write(Entry entry) {
        Document doc = new Document();
        doc.add(new StringField("id", entry.sessionId, Field.Store.YES));
        doc.add(new StoredField("folder", entry.folder));
        long started = startedMillis(entry.call);
        doc.add(new LongPoint("started", started));
        doc.add(new NumericDocValuesField("started_sort", started));
        Object metadata = entry.call.get("metadata");
        if (metadata instanceof Map<?, ?> values) {
            for (Object value : values.values()) {
                if (value != null) {
                    doc.add(new StringField("meta", value.toString().trim().toLowerCase(Locale.ROOT), Field.Store.NO));
                }
            }
        }
        doc.add(new TextField("text", entry.text.toString(), Field.Store.NO));
        if (entry.call.get("ended_at") != null) {
            doc.add(new StringField(CLOSED.field(), CLOSED.text(), Field.Store.NO));
            doc.add(new StringField(CLOSED_ID, entry.sessionId, Field.Store.NO));
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("id", entry.sessionId);
        for (String key : List.of("ingest", "started_at", "ended_at", "end_reason", "source", "targets", "channels",
                "channel_sources", "channel_targets", "metadata")) {
            if (entry.call.get(key) != null) {
                summary.put(key, entry.call.get(key));
            }
        }
        summary.put("finals", entry.finals);
        summary.put("snippet", entry.snippet);
        try {
            doc.add(new StoredField("summary", JSON.writeValueAsString(summary)));
            writer.updateDocument(new Term("id", entry.sessionId), doc);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot index session " + entry.sessionId, e);
        }
    }

    private static long startedMillis(Map<String, Object> call) {
        try {
            return Instant.parse(String.valueOf(call.get("started_at"))).toEpochMilli();
        } catch (RuntimeException e) {
            return 0;
        }
    }

    @SuppressWarnings("unchecked")
    private static Hit hit(Document doc) throws IOException {
        return new Hit(doc.get("id"), doc.get("folder"), JSON.readValue(doc.get("summary"), LinkedHashMap.class));
    }

    private void commit() {
        try {
            writer.commit();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot commit the archive index", e);
        }
    }

    private void release(IndexSearcher searcher) {
        if (searcher != null) {
            try {
                searchers.release(searcher);
            } catch (IOException e) {
                LOG.debug("Releasing an index searcher: {}", e.toString());
            }
        }
    }

    /** Session folders: {@code root/YYYY/MM/DD/<session-id>}. */
    private Stream<Path> sessionFolders() throws IOException {
        Path root = archive.root();
        if (!Files.isDirectory(root)) {
            return Stream.empty();
        }
        return Files.find(root, 4, (path, attributes) -> attributes.isDirectory()
                && root.relativize(path).getNameCount() == 4
                && root.relativize(path).getName(0).toString().matches("\\d{4}")
                && SafeNames.SAFE.matcher(path.getFileName().toString()).matches());
    }

    private String relative(Path folder) {
        return archive.root().relativize(folder).toString();
    }
}
