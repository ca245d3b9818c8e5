package dev.spillway.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * nginx as a plain round-robin reverse proxy over the simulated accounts: the peer every Spillway
 * number is read against. Not the system service: its own prefix directory, config, logs and temp
 * paths under a directory of the run, in the foreground ({@code daemon off}) so that this object
 * owns the master process; closing it stops the master, which stops its workers.
 */
final class NginxPeer implements MeasuredProxy {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);

    private final Process master;
    private final int port;
    private final Path dir;

    private NginxPeer(Process master, int port, Path dir) {
        this.master = master;
        this.port = port;
        this.dir = dir;
    }

    /**
     * @param dir      an empty directory for its config, logs and temp files
     * @param accounts host:port of every account, in upstream order
     */
    static NginxPeer start(Path dir, List<String> accounts) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        int port = freePort();
        Path conf = dir.resolve("nginx.conf");
        Files.writeString(conf, config(dir, port, accounts));
        // -e: the error log from the first moment, before the config is read (else it opens /var/log/nginx).
        ProcessBuilder builder = new ProcessBuilder("nginx", "-p", dir + "/", "-c", conf.toString(), "-e", dir.resolve("error.log").toString(),
                "-g", "daemon off; master_process on;");
        builder.redirectErrorStream(true).redirectOutput(dir.resolve("nginx.out").toFile());
        NginxPeer nginx = new NginxPeer(builder.start(), port, dir);
        try {
            nginx.awaitReady();
        } catch (IOException | InterruptedException | RuntimeException e) {
            nginx.close();
            throw e;
        }
        return nginx;
    }

    /** What {@code nginx -v} says, such as {@code nginx/1.22.1}. */
    static String version() {
        try {
            Process nginx = new ProcessBuilder("nginx", "-v").redirectErrorStream(true).start();
            String out = new String(nginx.getInputStream().readAllBytes()).trim();
            nginx.waitFor();
            return out.replace("nginx version: ", "");
        } catch (IOException e) {
            return "nginx not found";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    private static String config(Path dir, int port, List<String> accounts) {
        // Up to the hard limit this process (and so nginx) may raise its descriptors to.
        long files = Math.min(100_000, OpenFileLimit.hard());
        String servers = accounts.stream().map(account -> "        server " + account + ";").collect(Collectors.joining("\n"));
        return """
                # Written by scripts/bench: nginx as a plain round-robin proxy over the simulated accounts.
                worker_processes 2;                # one per core of the bench machine
                worker_rlimit_nofile %4$d;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;

                events {
                    worker_connections %5$d;       # 10,000+ streams, two connections each (client and upstream)
                }

                http {
                    access_log off;
                    client_body_temp_path %1$s/client_body;
                    proxy_temp_path %1$s/proxy;
                    fastcgi_temp_path %1$s/fastcgi;
                    uwsgi_temp_path %1$s/uwsgi;
                    scgi_temp_path %1$s/scgi;
                    # Connections stay open as long as the load generator keeps them (nginx closes one after
                    # 1,000 requests by default; Spillway does not), so both pay for the same handshakes.
                    keepalive_requests 1000000;

                    upstream accounts {
                %2$s
                        keepalive 256;
                        keepalive_requests 1000000;
                    }

                    server {
                        # reuseport: the kernel spreads connections evenly over the two workers, so that
                        # neither runs out of descriptors when 10,000 streams arrive at once.
                        listen 127.0.0.1:%3$d backlog=4096 reuseport;
                        location / {
                            proxy_pass http://accounts;
                            proxy_http_version 1.1;
                            proxy_set_header Connection "";
                            proxy_buffering off;           # SSE passes through chunk by chunk
                            proxy_request_buffering on;    # the body is read whole first, as Spillway does
                            proxy_connect_timeout 5s;
                            proxy_read_timeout 600s;
                            proxy_send_timeout 600s;
                        }
                    }
                }
                """.formatted(dir.toAbsolutePath(), servers, port, files, Math.min(40_000, files));
    }

    /** Ready when the port accepts connections and both workers are up (the master binds before it forks them). */
    private void awaitReady() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!master.isAlive()) {
                throw new IOException("nginx exited during start-up with status " + master.exitValue() + "; see " + dir.resolve("error.log")
                        + ": " + Files.readString(dir.resolve("nginx.out")).strip());
            }
            if (master.descendants().count() >= 2 && answers()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IOException("nginx did not answer on port " + port + " within " + START_TIMEOUT.toSeconds() + " s; see " + dir.resolve("error.log"));
    }

    private boolean answers() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public String name() {
        return "nginx";
    }

    @Override
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    @Override
    public ProcessTree process() {
        return new ProcessTree(master.pid());
    }

    /** SIGTERM to the master (nginx's fast shutdown: it stops its workers); anything left after 10 s is killed. */
    @Override
    public void close() throws InterruptedException {
        List<ProcessHandle> workers = master.descendants().toList();
        master.destroy();
        if (!master.waitFor(10, TimeUnit.SECONDS)) {
            master.destroyForcibly();
            master.waitFor(5, TimeUnit.SECONDS);
        }
        for (ProcessHandle worker : workers) {
            // A worker outliving its master would keep the port and skew the next run.
            if (worker.isAlive()) {
                worker.destroyForcibly();
            }
        }
    }
}
