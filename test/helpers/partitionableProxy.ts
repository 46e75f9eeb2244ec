// A TCP proxy on 127.0.0.1 that a test can partition from its target. Partitioned, it forwards
// nothing either way and accepts new connections without ever answering (as a network partition
// looks to both sides); healed, the connections it held are closed (as ones that timed out in the
// partition would be) and new ones are forwarded again.
import { createServer, connect, type Server, type Socket } from 'node:net';

export class PartitionableProxy {
  private server: Server | undefined;
  private readonly live = new Set<{ client: Socket; upstream: Socket }>();
  private readonly held = new Set<Socket>();
  private partitioned = false;
  address = '';

  constructor(private readonly target: string) {}

  async start(): Promise<void> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.address = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  private accept(client: Socket): void {
    client.on('error', () => client.destroy());
    if (this.partitioned) {
      this.held.add(client);
      return;
    }
    const [host, port] = [this.target.slice(0, this.target.lastIndexOf(':')), Number(this.target.slice(this.target.lastIndexOf(':') + 1))];
    const upstream = connect(port, host);
    const pair = { client, upstream };
    this.live.add(pair);
    upstream.on('error', () => client.destroy());
    const end = () => {
      this.live.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** From now on nothing passes: open connections go silent, new ones are accepted and ignored. */
  partition(): void {
    this.partitioned = true;
    for (const { client, upstream } of this.live) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
      this.held.add(client);
      this.held.add(upstream);
    }
    this.live.clear();
  }

  heal(): void {
    this.partitioned = false;
    for (const socket of this.held) socket.destroy();
    this.held.clear();
  }

  async stop(): Promise<void> {
    this.heal();
    for (const { client, upstream } of this.live) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
