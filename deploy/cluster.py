"""Start N txsockjs nodes on this machine behind HAProxy or nginx: one process per core.

    python deploy/cluster.py                       # a node per core, HAProxy on :8080
    python deploy/cluster.py --nodes 3 --proxy nginx --port 8080 --redis redis://127.0.0.1:6379/0
    python deploy/cluster.py --static-routes       # nodes announce base_url /nodeK/chat

A txsockjs process uses one core; this is how to use all of them.  The nodes run
deploy/chat_node.py (or --node-command, a template with {port}, {name}, {redis} and
{base_url}) on 127.0.0.1:9001..., share one Redis (started here, in the run directory,
unless --redis is given) and sit behind the proxy, configured from deploy/haproxy.cfg or
deploy/nginx.conf written for N nodes.  Everything runs in the foreground and writes only
in the run directory (a temporary one unless --run-dir is given); Ctrl-C stops it all.

The renderers (haproxy_config, nginx_config, nginx_main_config) are what the tests use, so
the shipped files are the tested ones.
"""

import argparse
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE_PORTS = {1: 9001, 2: 9002, 3: 9003}
EXAMPLE_LISTEN = "127.0.0.1:8080"


def per_node(text, node_ports, listen):
    """The example file for these nodes: each non-comment line naming node1 once per node
    (nodeK, its port), the lines naming node2 and node3 dropped, the listen address set."""
    out = []
    for line in text.splitlines(True):
        code = line.lstrip()
        if code.startswith("#"):
            out.append(line)
            continue
        if re.search(r"\bnode[23]\b", line):
            continue
        if re.search(r"\bnode1\b", line):
            for number, port in enumerate(node_ports, 1):
                out.append(re.sub(r"\bnode1\b", "node%d" % number, line)
                           .replace("127.0.0.1:%d" % EXAMPLE_PORTS[1], "127.0.0.1:%d" % port))
            continue
        out.append(line.replace(EXAMPLE_LISTEN, listen))
    return "".join(out)


def read(name):
    with open(os.path.join(HERE, name)) as source:
        return source.read()


def haproxy_config(listen_port, node_ports):
    return per_node(read("haproxy.cfg"), node_ports, "127.0.0.1:%d" % listen_port)


def nginx_config(listen_port, node_ports):
    return per_node(read("nginx.conf"), node_ports, "127.0.0.1:%d" % listen_port)


def nginx_main_config(run_dir, http_conf_path):
    """A whole nginx.conf around the http-level file, writing only inside run_dir."""
    temp = os.path.join(run_dir, "nginx-temp")
    os.makedirs(temp, exist_ok=True)
    paths = "".join("    %s_temp_path %s;\n" % (kind, os.path.join(temp, kind))
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return ("daemon off;\nmaster_process on;\nworker_processes 1;\n"
            "pid %s;\nerror_log stderr warn;\n"
            "events { worker_connections 8192; }\n"
            "http {\n    access_log off;\n%s    include %s;\n}\n"
            % (os.path.join(run_dir, "nginx.pid"), paths, http_conf_path))


def proxy_command(proxy, run_dir, listen_port, node_ports):
    """Write the proxy's config in run_dir; the command that runs it in the foreground."""
    if proxy == "haproxy":
        path = os.path.join(run_dir, "haproxy.cfg")
        with open(path, "w") as config:
            config.write(haproxy_config(listen_port, node_ports))
        return [shutil.which("haproxy", path=os.environ["PATH"] + ":/usr/sbin") or "haproxy",
                "-db", "-f", path]
    http_conf = os.path.join(run_dir, "txsockjs-nginx.conf")
    with open(http_conf, "w") as config:
        config.write(nginx_config(listen_port, node_ports))
    main_conf = os.path.join(run_dir, "nginx.conf")
    with open(main_conf, "w") as config:
        config.write(nginx_main_config(run_dir, http_conf))
    # -e stderr: not even the default error log outside run_dir before the config is read
    return [shutil.which("nginx", path=os.environ["PATH"] + ":/usr/sbin") or "nginx",
            "-e", "stderr", "-p", run_dir + "/", "-c", main_conf]


def base_url(public, number, prefix="chat"):
    return "%s/node%d/%s" % (public.rstrip("/"), number, prefix)


def wait_for_port(port, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def interrupted(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--proxy", choices=("haproxy", "nginx"), default="haproxy")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--first-node-port", type=int, default=9001)
    parser.add_argument("--redis", default=None, help="default: start redis-server in the run dir")
    parser.add_argument("--static-routes", action="store_true",
                        help="each node announces base_url http://127.0.0.1:PORT/nodeK/chat")
    parser.add_argument("--node-command", default=None,
                        help="default: %s deploy/chat_node.py --port {port} --name {name} "
                             "--redis {redis} [--base-url {base_url}]" % sys.executable)
    parser.add_argument("--run-dir", default=None)
    args = parser.parse_args(argv)

    run_dir = args.run_dir or tempfile.mkdtemp(prefix="txsockjs-cluster-")
    os.makedirs(run_dir, exist_ok=True)
    children = []

    def start(command, name):
        log = open(os.path.join(run_dir, name + ".log"), "ab")
        print("starting %s: %s" % (name, " ".join(shlex.quote(part) for part in command)))
        children.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=run_dir))

    try:
        redis = args.redis
        if redis is None:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                redis_port = probe.getsockname()[1]
            start(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no", "--dir", run_dir, "--logfile", ""], "redis")
            wait_for_port(redis_port)
            redis = "redis://127.0.0.1:%d/0" % redis_port
        public = "http://127.0.0.1:%d" % args.port
        ports = [args.first_node_port + n for n in range(args.nodes)]
        for number, port in enumerate(ports, 1):
            if args.node_command:
                command = shlex.split(args.node_command.format(
                    port=port, name="node%d" % number, redis=redis, base_url=base_url(public, number)))
            else:
                command = [sys.executable, os.path.join(HERE, "chat_node.py"), "--port", str(port),
                           "--name", "node%d" % number, "--redis", redis]
                if args.static_routes:
                    command += ["--base-url", base_url(public, number)]
            start(command, "node%d" % number)
        for port in ports:
            if not wait_for_port(port):
                raise SystemExit("a node did not start; see the logs in %s" % run_dir)
        start(proxy_command(args.proxy, run_dir, args.port, ports), args.proxy)
        if not wait_for_port(args.port):
            raise SystemExit("%s did not start; see %s" % (args.proxy, run_dir))
        print("%d nodes behind %s: %s/chat   (logs in %s; Ctrl-C stops)"
              % (args.nodes, args.proxy, public, run_dir))
        signal.signal(signal.SIGTERM, interrupted)
        while all(child.poll() is None for child in children):
            time.sleep(1)
        print("a process exited; stopping the rest (logs in %s)" % run_dir)
    except KeyboardInterrupt:
        pass
    finally:
        for child in reversed(children):
            child.terminate()
        for child in children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()


if __name__ == "__main__":
    main()
