package dev.spillway.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.core.MultipartField;
import com.openai.errors.NotFoundException;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The Files API as one account answers it: uploads it holds, and ids no other account knows. */
class FilesTest {

    private static final String FILES = "/openai/v1/files";
    private static final byte[] JSONL = "{\"custom_id\":\"1\"}\n{\"custom_id\":\"2\"}\n".getBytes(StandardCharsets.UTF_8);
    private final List<Simulator> started = new ArrayList<>();

    @AfterEach
    void stop() {
        started.forEach(Simulator::close);
    }

    private Wire account() {
        Simulator simulator = Simulator.start(SimulatorOptions.defaults());
        started.add(simulator);
        return new Wire(simulator);
    }

    /** A multipart/form-data body, written out as a client library would. */
    private static HttpResponse<String> upload(Wire account, String path, String purpose, String filename, byte[] content) {
        String boundary = "----spillway-test-boundary";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (purpose != null) {
            body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n" + purpose + "\r\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        if (content != null) {
            body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename + "\"\r\n"
                    + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            body.writeBytes(content);
            body.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return account.send(account.request(path).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
    }

    private static String uploaded(Wire account, String filename) {
        HttpResponse<String> response = upload(account, FILES, "batch", filename, JSONL);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return Wire.json(response).path("id").asText();
    }

    @Test
    void uploadAnswersAFileObjectForTheBytesSent() {
        HttpResponse<String> response = upload(account(), FILES, "batch", "requests.jsonl", JSONL);

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode file = Wire.json(response);
        assertThat(file.path("id").asText()).matches("file-[0-9a-f]{32}");
        assertThat(file.path("object").asText()).isEqualTo("file");
        assertThat(file.path("bytes").asInt()).isEqualTo(JSONL.length);
        assertThat(file.path("filename").asText()).isEqualTo("requests.jsonl");
        assertThat(file.path("purpose").asText()).isEqualTo("batch");
        assertThat(file.path("status").asText()).isEqualTo("processed");
        assertThat(file.path("created_at").isNumber()).isTrue();
        // Not a model call: no deployment's quota is charged.
        assertThat(response.headers().map().keySet()).noneMatch(name -> name.startsWith("x-ratelimit-"));
    }

    @Test
    void contentGivesBackTheBytesUploaded() {
        Wire account = account();
        byte[] binary = {0, 1, (byte) 0xff, (byte) 0xfe, '\r', '\n', '-', '-'};
        String id = Wire.json(upload(account, FILES, "user_data", "blob.bin", binary)).path("id").asText();

        HttpResponse<byte[]> content = account.sendForBytes(account.request(FILES + "/" + id + "/content").GET());

        assertThat(content.statusCode()).isEqualTo(200);
        assertThat(content.body()).isEqualTo(binary);
    }

    @Test
    void olderAzurePathWithAnApiVersionUploadsAndRetrievesToo() {
        Wire account = account();

        HttpResponse<String> response = upload(account, "/openai/files?api-version=2024-10-21", "batch", "a.jsonl", JSONL);

        assertThat(response.statusCode()).isEqualTo(200);
        String id = Wire.json(response).path("id").asText();
        assertThat(account.get("/openai/files/" + id + "?api-version=2024-10-21").statusCode()).isEqualTo(200);
        assertThat(account.get(FILES + "/" + id).statusCode()).isEqualTo(200);
    }

    @Test
    void uploadWithoutPurposeOrFileGets400NamingTheMissingParameter() {
        Wire account = account();

        HttpResponse<String> noPurpose = upload(account, FILES, null, "a.jsonl", JSONL);
        HttpResponse<String> noFile = upload(account, FILES, "batch", null, null);

        assertThat(noPurpose.statusCode()).isEqualTo(400);
        assertThat(Wire.json(noPurpose).path("error").path("param").asText()).isEqualTo("purpose");
        assertThat(noFile.statusCode()).isEqualTo(400);
        assertThat(Wire.json(noFile).path("error").path("param").asText()).isEqualTo("file");
    }

    @Test
    void uploadThatIsNotAFormGets400() {
        HttpResponse<String> response = account().post(FILES, "{\"purpose\":\"batch\",\"file\":\"eyJ4IjoxfQ==\"}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Wire.json(response).path("error").path("type").asText()).isEqualTo("invalid_request_error");
    }

    @Test
    void formCutOffBeforeItsLastBoundaryGets400() {
        Wire account = account();
        String cut = "--b\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--b\r\nContent-Disposition: form-data; "
                + "name=\"file\"; filename=\"a.jsonl\"\r\n\r\n{\"custom_id\":";

        HttpResponse<String> response = account.send(account.request(FILES).header("Content-Type", "multipart/form-data; boundary=b")
                .POST(HttpRequest.BodyPublishers.ofString(cut)));

        assertThat(response.statusCode()).isEqualTo(400);
    }

    @Test
    void fileUploadedToOneAccountIsUnknownToAnother() {
        String id = uploaded(account(), "a.jsonl");
        Wire other = account();
        JsonNode expected = Wire.json("{\"error\":{\"message\":\"No such File object: " + id + "\",\"type\":\"invalid_request_error\","
                + "\"param\":\"id\",\"code\":null}}");

        for (HttpResponse<String> response : List.of(other.get(FILES + "/" + id), other.get(FILES + "/" + id + "/content"),
                other.delete(FILES + "/" + id))) {
            assertThat(response.statusCode()).isEqualTo(404);
            assertThat(Wire.json(response)).isEqualTo(expected);
        }
    }

    @Test
    void deletedFileIsGone() {
        Wire account = account();
        String id = uploaded(account, "a.jsonl");

        HttpResponse<String> deleted = account.delete(FILES + "/" + id);

        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(Wire.json(deleted)).isEqualTo(Wire.json("{\"id\":\"" + id + "\",\"object\":\"file\",\"deleted\":true}"));
        assertThat(account.get(FILES + "/" + id).statusCode()).isEqualTo(404);
        assertThat(account.get(FILES + "/" + id + "/content").statusCode()).isEqualTo(404);
    }

    @Test
    void listGivesThisAccountsFilesNewestFirstAndPagesOnRequest() {
        Wire account = account();
        String first = uploaded(account, "1.jsonl");
        String second = uploaded(account, "2.jsonl");
        String third = uploaded(account, "3.jsonl");
        upload(account, FILES, "fine-tune", "4.jsonl", JSONL);
        uploaded(account(), "elsewhere.jsonl");

        JsonNode all = Wire.json(account.get(FILES + "?purpose=batch"));
        JsonNode page = Wire.json(account.get(FILES + "?purpose=batch&limit=2"));
        JsonNode rest = Wire.json(account.get(FILES + "?purpose=batch&limit=2&after=" + page.path("last_id").asText()));
        JsonNode oldest = Wire.json(account.get(FILES + "?purpose=batch&order=asc&limit=1"));

        assertThat(all.path("object").asText()).isEqualTo("list");
        assertThat(all.path("data").findValuesAsText("id")).containsExactly(third, second, first);
        assertThat(all.path("has_more").asBoolean()).isFalse();
        assertThat(page.path("data").findValuesAsText("id")).containsExactly(third, second);
        assertThat(page.path("first_id").asText()).isEqualTo(third);
        assertThat(page.path("has_more").asBoolean()).isTrue();
        assertThat(rest.path("data").findValuesAsText("id")).containsExactly(first);
        assertThat(rest.path("has_more").asBoolean()).isFalse();
        assertThat(oldest.path("data").findValuesAsText("id")).containsExactly(first);
        assertThat(Wire.json(account.get(FILES)).path("data")).hasSize(4);
    }

    @Test
    void officialClientUploadsListsDownloadsAndDeletesAFile() throws IOException {
        Simulator simulator = Simulator.start(SimulatorOptions.defaults());
        started.add(simulator);
        OpenAIClient client = Wire.officialClient(simulator);

        FileObject file = client.files().create(FileCreateParams.builder().purpose(FilePurpose.BATCH)
                .file(MultipartField.<InputStream>builder().value(new ByteArrayInputStream(JSONL)).filename("requests.jsonl").build())
                .build()).validate();
        List<FileObject> listed = client.files().list().data();
        listed.forEach(FileObject::validate);
        FileObject retrieved = client.files().retrieve(file.id()).validate();
        byte[] content;
        try (com.openai.core.http.HttpResponse download = client.files().content(file.id())) {
            content = download.body().readAllBytes();
        }
        boolean deleted = client.files().delete(file.id()).validate().deleted();

        assertThat(file.id()).startsWith("file-");
        assertThat(file.bytes()).isEqualTo(JSONL.length);
        assertThat(file.filename()).isEqualTo("requests.jsonl");
        assertThat(file.purpose()).isEqualTo(FileObject.Purpose.BATCH);
        assertThat(listed).extracting(FileObject::id).containsExactly(file.id());
        assertThat(retrieved.id()).isEqualTo(file.id());
        assertThat(content).isEqualTo(JSONL);
        assertThat(deleted).isTrue();
        assertThatThrownBy(() -> client.files().retrieve(file.id())).isInstanceOf(NotFoundException.class);
    }
}
