// Reads, from /proc, the TCP sockets that a process tree listens on, so tests can prove that every
// testbed server is bound to loopback only.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface Listener {
  address: string;
  port: number;
}

/** `pids` and all their descendants. */
function processTree(pids: number[]): Set<number> {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may contain spaces or parentheses; the fields after its closing ')' do not.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // process ended while scanning
    }
  }
  const tree = new Set(pids);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of parentOf) {
      if (tree.has(ppid) && !tree.has(pid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return tree;
}

function socketInodes(pids: Set<number>): Set<string> {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // fd closed while scanning
      }
    }
  }
  return inodes;
}

/** /proc/net/tcp{,6} hold addresses as little-endian 32-bit words in hex. */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g)!.map((w) => w.match(/../g)!.reverse().join(''));
  if (words.length === 1)
    return words[0]!
      .match(/../g)!
      .map((b) => parseInt(b, 16))
      .join('.');
  const groups = words
    .join('')
    .match(/.{4}/g)!
    .map((g) => g.replace(/^0{1,3}/, ''));
  return groups.join(':');
}

/** Listening TCP sockets (IPv4 and IPv6) owned by `pids` or their descendants. */
export function listeningSockets(pids: number[]): Listener[] {
  const inodes = socketInodes(processTree(pids));
  const listeners: Listener[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, state, inode] = [fields[1]!, fields[3]!, fields[9]!];
      if (state !== '0A' || !inodes.has(inode)) continue;
      const [addr, port] = local.split(':') as [string, string];
      listeners.push({ address: decodeAddress(addr), port: parseInt(port, 16) });
    }
  }
  return listeners;
}
