/**
 * The DNS side of AWS Cloud Map, stood in for (docs/as-deployed.md): the A records ECS registers for the tasks of a
 * service with a Cloud Map registry (`ServiceRegistries`) in a private DNS namespace, answered where a task's VPC
 * resolver would answer them. A task network's /etc/resolv.conf names this server on the network's host address, as
 * an awsvpc task's names the VPC's resolver.
 *
 * - A name is `<Cloud Map service name>.<namespace name>`, answered with the address of every running task of the
 *   ECS service that registers in it, with the TTL of the Cloud Map service's DNS record.
 * - Any other name gets NXDOMAIN: tasks here reach AWS through the hosts file, nothing else through DNS.
 */
import * as dgram from 'dgram';
import * as dnsPacket from 'dns-packet';

interface RecordSet {
  readonly addresses: Set<string>;
  readonly ttl: number;
}

export class CloudMapDns {
  /** The names answered, lower case. */
  private readonly records = new Map<string, RecordSet>();
  private readonly sockets = new Map<string, dgram.Socket>();
  /** Every question asked, in order (name and answer count), for tests. */
  public readonly questions: Array<{ name: string; answers: number }> = [];

  /** Registers a task's address under a name, as ECS does when the task starts. */
  public register(name: string, address: string, ttl: number): void {
    const key = name.toLowerCase().replace(/\.$/, '');
    const set = this.records.get(key) ?? { addresses: new Set<string>(), ttl };
    set.addresses.add(address);
    this.records.set(key, set);
  }

  /** Removes a task's address, as ECS does when the task stops. */
  public deregister(name: string, address: string): void {
    const key = name.toLowerCase().replace(/\.$/, '');
    const set = this.records.get(key);
    set?.addresses.delete(address);
    if (set && set.addresses.size === 0) {
      this.records.delete(key);
    }
  }

  /** Answers on UDP port 53 of `host` (a task network's host address); once per address. */
  public async listen(host: string): Promise<void> {
    if (this.sockets.has(host)) {
      return;
    }
    const socket = dgram.createSocket('udp4');
    socket.on('message', (message, remote) => {
      let query: dnsPacket.Packet;
      try {
        query = dnsPacket.decode(message);
      } catch {
        return; // not a DNS message
      }
      socket.send(this.answer(query), remote.port, remote.address);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(53, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    // A later error (an answer that cannot be sent) must not take the process down: the client asks again.
    socket.on('error', () => undefined);
    this.sockets.set(host, socket);
  }

  /** Stops answering on `host` (its task network is gone). */
  public close(host: string): void {
    this.sockets.get(host)?.close();
    this.sockets.delete(host);
  }

  public stop(): void {
    for (const host of [...this.sockets.keys()]) {
      this.close(host);
    }
  }

  private answer(query: dnsPacket.Packet): Buffer {
    const question = query.questions?.[0];
    const name = question?.name ?? '';
    const set = this.records.get(name.toLowerCase().replace(/\.$/, ''));
    const answers: dnsPacket.Answer[] = set && question?.type === 'A'
      ? [...set.addresses].map((data) => ({ type: 'A', name, class: 'IN', ttl: set.ttl, data }))
      : [];
    this.questions.push({ name, answers: answers.length });
    return dnsPacket.encode({
      type: 'response',
      id: query.id,
      // Authoritative answer, recursion desired (echoed) and available; NXDOMAIN (3) for a name nothing registers.
      flags: dnsPacket.AUTHORITATIVE_ANSWER + dnsPacket.RECURSION_DESIRED + dnsPacket.RECURSION_AVAILABLE + (set ? 0 : 3),
      questions: query.questions,
      answers,
    });
  }
}
