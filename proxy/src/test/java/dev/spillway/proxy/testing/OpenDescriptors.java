package dev.spillway.proxy.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A process's open file descriptors at one moment, from /proc: its TCP sockets (with their ports and
 * state) apart from everything else, because sockets come and go with connection pools while the
 * other descriptors (jars, logs, pipes, selectors) should not move at all.
 *
 * @param others descriptors that are not TCP sockets
 */
public record OpenDescriptors(long others, List<TcpSocket> sockets) {

    /** One TCP socket of the process; {@code state} as the kernel names it (ESTABLISHED, CLOSE_WAIT, LISTEN, ...). */
    public record TcpSocket(int localPort, int remotePort, String state) {}

    private static final Map<String, String> STATES = Map.ofEntries(
            Map.entry("01", "ESTABLISHED"), Map.entry("02", "SYN_SENT"), Map.entry("03", "SYN_RECV"),
            Map.entry("04", "FIN_WAIT1"), Map.entry("05", "FIN_WAIT2"), Map.entry("06", "TIME_WAIT"),
            Map.entry("07", "CLOSE"), Map.entry("08", "CLOSE_WAIT"), Map.entry("09", "LAST_ACK"),
            Map.entry("0A", "LISTEN"), Map.entry("0B", "CLOSING"));

    public static OpenDescriptors of(long pid) throws IOException {
        Path proc = Path.of("/proc", Long.toString(pid));
        Set<String> socketInodes = new HashSet<>();
        long others = 0;
        try (var fds = Files.list(proc.resolve("fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (NoSuchFileException closedMeanwhile) {
                    continue;
                }
                if (target.startsWith("socket:[")) {
                    socketInodes.add(target.substring("socket:[".length(), target.length() - 1));
                } else {
                    others++;
                }
            }
        }
        Map<String, TcpSocket> tcp = new HashMap<>();
        for (String table : List.of("tcp", "tcp6")) {
            List<String> lines = Files.readAllLines(proc.resolve("net").resolve(table));
            for (String line : lines.subList(1, lines.size())) {
                String[] fields = line.trim().split("\\s+");
                tcp.put(fields[9], new TcpSocket(port(fields[1]), port(fields[2]), STATES.getOrDefault(fields[3], fields[3])));
            }
        }
        List<TcpSocket> sockets = new ArrayList<>();
        for (String inode : socketInodes) {
            TcpSocket socket = tcp.get(inode);
            if (socket == null) {
                others++; // a Unix or UDP socket: part of the fixed set
            } else {
                sockets.add(socket);
            }
        }
        return new OpenDescriptors(others, List.copyOf(sockets));
    }

    /** Connected sockets whose local port is this one: the clients of a server listening there. */
    public long acceptedOn(int port) {
        return sockets.stream().filter(s -> s.localPort() == port && !s.state().equals("LISTEN")).count();
    }

    /** Sockets connected to this remote port. */
    public long connectedTo(int port) {
        return sockets.stream().filter(s -> s.remotePort() == port).count();
    }

    public List<TcpSocket> inState(String state) {
        return sockets.stream().filter(s -> s.state().equals(state)).toList();
    }

    private static int port(String hexAddressAndPort) {
        return Integer.parseInt(hexAddressAndPort.substring(hexAddressAndPort.indexOf(':') + 1), 16);
    }
}
