import NIOCore
import NIOHTTPTypes
import Synchronization

/// Connection counts by peer address, shared by every connection of one server.
public final class PeerConnections: Sendable {
    /// The most connections one peer address may hold at once.
    public let perPeer: Int
    private let counts = Mutex<[String: Int]>([:])

    public init(perPeer: Int) {
        self.perPeer = perPeer
    }

    /// Counts a connection from `peer`; `false` (and nothing counted) when the peer is at its limit.
    func admit(_ peer: String) -> Bool {
        counts.withLock { counts in
            guard counts[peer, default: 0] < perPeer else { return false }
            counts[peer, default: 0] += 1
            return true
        }
    }

    func release(_ peer: String) {
        counts.withLock { counts in
            let remaining = counts[peer, default: 1] - 1
            counts[peer] = remaining > 0 ? remaining : nil
        }
    }

    /// Open connections from `peer`.
    public func count(_ peer: String) -> Int { counts.withLock { $0[peer, default: 0] } }
}

/// Guards one HTTP connection: refuses it when its peer already holds ``PeerConnections/perPeer``
/// connections, and closes it when a request is not complete — head and body — within the
/// deadline, counted from when the connection opened or its previous answer was sent. A client
/// that trickles bytes (slow headers, slow body) or holds a connection idle therefore keeps it at
/// most that long; the time spent answering a request is not counted.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let peers: PeerConnections
    private let requestDeadline: TimeAmount
    private var peer: String?
    private var started = false
    private var deadline: Scheduled<Void>?

    init(peers: PeerConnections, requestDeadline: TimeAmount) {
        self.peers = peers
        self.requestDeadline = requestDeadline
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard peers.admit(address) else {
            context.close(promise: nil)
            return
        }
        peer = address
        arm(context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        if let peer { peers.release(peer) }
        peer = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        if let peer { peers.release(peer) }
        peer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) {
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { arm(context) }
        context.write(data, promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext) {
        deadline?.cancel()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: requestDeadline) {
            loopBound.value.close(promise: nil)
        }
    }
}
