#!/usr/bin/env python3
"""Headless PJSUA2 (pip: pjsua2-python 2.15.1) test UA: null sound device, wav playback, recording.

Started by crates/interop-support (Pjua::spawn) for the interop tests. Examples:
  # UAS: auto-answer, play wav, record what is received, stay 15 s
  pjua.py --port 16060 --answer --play ../media/tone440_8k.wav --record b.wav --duration 15
  # UAC: call and hang up after 5 s
  pjua.py --port 16062 --call sip:x@127.0.0.1:16060 --play ../media/tone1000_8k.wav --hangup-after 5
  # registered via Kamailio (digest auth)
  pjua.py --port 16060 --user bob --password bob123 --registrar sip:127.0.0.1:15060 --answer
Options: --transport udp|tcp|tls, --srtp 0|1|2 (disabled/optional/mandatory), --srtp-sig 0..3,
         --ice, --stun 127.0.0.1:3478, --message URI TEXT, --subscribe URI, --publish (online status),
         --transfer-to URI (REFER after answer), --reinvite (hold/unhold re-INVITE after 2 s),
         --cancel-after S (CANCEL an outgoing call still unanswered after S seconds)
Logged per call: `call state: <STATE> <code> <reason>`, `media status: <ACTIVE|LOCAL_HOLD|REMOTE_HOLD|...>
 dir: <sendrecv|send|recv|none>`, `transfer status: <code> <reason> [final]`.
"""
import argparse, sys, time, os
import pjsua2 as pj

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, default=16060)
ap.add_argument("--ip", default="127.0.0.1")
ap.add_argument("--transport", default="udp", choices=["udp", "tcp", "tls"])
ap.add_argument("--user", default="pj")
ap.add_argument("--password")
ap.add_argument("--registrar")          # e.g. sip:127.0.0.1:15060
ap.add_argument("--domain", default="127.0.0.1")
ap.add_argument("--proxy")              # outbound proxy URI
ap.add_argument("--answer", action="store_true")
ap.add_argument("--answer-code", type=int, default=200)
ap.add_argument("--call")
ap.add_argument("--play")
ap.add_argument("--record")
ap.add_argument("--duration", type=float, default=10)
ap.add_argument("--hangup-after", type=float, default=0)
ap.add_argument("--cancel-after", type=float, default=0)   # hang up an unanswered outgoing call (CANCEL)
ap.add_argument("--srtp", type=int, default=0)
ap.add_argument("--srtp-sig", type=int, default=0)
ap.add_argument("--ice", action="store_true")
ap.add_argument("--stun")
ap.add_argument("--turn")               # host:port, uses --turn-user/--turn-pass
ap.add_argument("--turn-user", default="test")
ap.add_argument("--turn-pass", default="test")
ap.add_argument("--message", nargs=2, metavar=("URI", "TEXT"))
ap.add_argument("--subscribe")
ap.add_argument("--publish", action="store_true")
ap.add_argument("--transfer-to")
ap.add_argument("--reinvite", action="store_true")
ap.add_argument("--loglevel", type=int, default=3)
ap.add_argument("--codecs", help="comma list of codec id prefixes to keep, e.g. PCMU,PCMA")
ap.add_argument("--cert-dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "certs"))
args = ap.parse_args()

def log(*a):
    print(f"[pjua {args.port}] " + " ".join(str(x) for x in a), flush=True)

ep = pj.Endpoint()
ep.libCreate()
epc = pj.EpConfig()
epc.logConfig.level = args.loglevel
epc.logConfig.consoleLevel = args.loglevel
epc.uaConfig.maxCalls = 4
epc.uaConfig.threadCnt = 0           # poll from this (main) thread
epc.medConfig.threadCnt = 1
epc.medConfig.noVad = True
if args.stun:
    epc.uaConfig.stunServer.append(args.stun)
ep.libInit(epc)

tc = pj.TransportConfig()
tc.port = args.port
tc.boundAddress = args.ip
if args.transport == "tls":
    tc.tlsConfig.certFile = os.path.join(args.cert_dir, "server.pem")
    tc.tlsConfig.privKeyFile = os.path.join(args.cert_dir, "server.key")
    tc.tlsConfig.CaListFile = os.path.join(args.cert_dir, "ca.pem")
    tc.tlsConfig.verifyServer = False
    tc.tlsConfig.verifyClient = False
    tc.tlsConfig.method = pj.PJSIP_TLSV1_2_METHOD
ttype = {"udp": pj.PJSIP_TRANSPORT_UDP, "tcp": pj.PJSIP_TRANSPORT_TCP, "tls": pj.PJSIP_TRANSPORT_TLS}[args.transport]
ep.transportCreate(ttype, tc)
ep.libStart()
ep.audDevManager().setNullDev()      # no sound card needed
if args.codecs:
    keep = args.codecs.split(",")
    for ci in ep.codecEnum2():
        pri = 0
        for i, k in enumerate(keep):
            if ci.codecId.lower().startswith(k.lower()):
                pri = 200 - i
        ep.codecSetPriority(ci.codecId, pri)
log("PJSIP", ep.libVersion().full, "listening", args.transport, f"{args.ip}:{args.port}")

calls = []
player = None
recorder = None

MEDIA_STATUS = {pj.PJSUA_CALL_MEDIA_NONE: "NONE", pj.PJSUA_CALL_MEDIA_ACTIVE: "ACTIVE",
                pj.PJSUA_CALL_MEDIA_LOCAL_HOLD: "LOCAL_HOLD", pj.PJSUA_CALL_MEDIA_REMOTE_HOLD: "REMOTE_HOLD",
                pj.PJSUA_CALL_MEDIA_ERROR: "ERROR"}
MEDIA_DIR = {pj.PJMEDIA_DIR_NONE: "none", pj.PJMEDIA_DIR_ENCODING: "send", pj.PJMEDIA_DIR_DECODING: "recv",
             pj.PJMEDIA_DIR_ENCODING_DECODING: "sendrecv"}

class Call(pj.Call):
    def __init__(self, acc, call_id=pj.PJSUA_INVALID_ID):
        super().__init__(acc, call_id)
        self.connected_at = None
    def onCallState(self, prm):
        ci = self.getInfo()
        log("call state:", ci.stateText, ci.lastStatusCode, ci.lastReason, "remote:", ci.remoteUri)
        if ci.state == pj.PJSIP_INV_STATE_CONFIRMED and self.connected_at is None:
            self.connected_at = time.time()
    def log_stats(self):
        try:
            st = self.getStreamStat(0)
            log("rtp stats: rx pkts", st.rtcp.rxStat.pkt, "tx pkts", st.rtcp.txStat.pkt,
                "rx loss", st.rtcp.rxStat.loss)
        except Exception:
            pass
    def onCallMediaState(self, prm):
        global player, recorder
        ci = self.getInfo()
        for i, mi in enumerate(ci.media):
            if mi.type == pj.PJMEDIA_TYPE_AUDIO:
                log("media status:", MEDIA_STATUS.get(mi.status, mi.status), "dir:",
                    MEDIA_DIR.get(mi.dir, mi.dir))
            if mi.type == pj.PJMEDIA_TYPE_AUDIO and mi.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                am = self.getAudioMedia(i)
                try:
                    si = self.getStreamInfo(i)
                    log("media active: codec", si.codecName, si.codecClockRate,
                        "remote rtp", si.remoteRtpAddress, "transport", si.proto)
                except Exception as e:
                    log("media active (stream info n/a)", e)
                try:
                    tr = self.getMedTransportInfo(i)
                    log("media transport: local", tr.localRtpName, "src", tr.srcRtpName)
                except Exception:
                    pass
                if args.play:
                    if player is None:
                        player = pj.AudioMediaPlayer()
                        player.createPlayer(args.play)   # loops by default
                    player.startTransmit(am)
                if args.record:
                    if recorder is None:
                        recorder = pj.AudioMediaRecorder()
                        recorder.createRecorder(args.record)
                    am.startTransmit(recorder)
    def onCallTransferRequest(self, prm):
        log("REFER received, target:", prm.dstUri, "-> accepting")
        prm.statusCode = 202
    def onCallTransferStatus(self, prm):
        log("transfer status:", prm.statusCode, prm.reason, "final" if prm.finalNotify else "")
    def onCallSdpCreated(self, prm):
        pass

class Buddy(pj.Buddy):
    def onBuddyState(self):
        bi = self.getInfo()
        log("buddy state:", bi.uri, "status:", bi.presStatus.statusText, "subState:", bi.subStateName,
            "activity:", bi.presStatus.activity, "note:", bi.presStatus.note)

class Account(pj.Account):
    def onRegState(self, prm):
        log("reg state:", prm.code, prm.reason, "expiration", prm.expiration)
    def onIncomingCall(self, prm):
        c = Call(self, prm.callId)
        calls.append(c)
        ci = c.getInfo()
        log("incoming call from", ci.remoteUri)
        op = pj.CallOpParam()
        op.statusCode = 180
        c.answer(op)
        if args.answer:
            op = pj.CallOpParam(True)
            op.statusCode = args.answer_code
            c.answer(op)
    def onInstantMessage(self, prm):
        log("MESSAGE from", prm.fromUri, "ctype", prm.contentType, "body:", prm.msgBody)
    def onInstantMessageStatus(self, prm):
        log("MESSAGE status", prm.code, prm.reason, "to", prm.toUri)
    def onIncomingSubscribe(self, prm):
        log("incoming SUBSCRIBE from", prm.fromUri, "-> accept")
        prm.code = 200

acfg = pj.AccountConfig()
acfg.idUri = f"sip:{args.user}@{args.domain}" if args.registrar else f"sip:{args.user}@{args.ip}:{args.port}"
if args.transport != "udp":
    acfg.idUri += f";transport={args.transport}"
if args.registrar:
    acfg.regConfig.registrarUri = args.registrar + (f";transport={args.transport}" if args.transport != "udp" else "")
    acfg.regConfig.timeoutSec = 300
if args.registrar and not args.proxy:
    # route everything through the registrar (outbound proxy), e.g. Kamailio on a non-5060 port
    args.proxy = args.registrar + ";lr" + (f";transport={args.transport}" if args.transport != "udp" else "")
if args.proxy:
    acfg.sipConfig.proxies.append(args.proxy)
if args.password:
    cred = pj.AuthCredInfo("digest", "*", args.user, 0, args.password)
    acfg.sipConfig.authCreds.append(cred)
acfg.mediaConfig.srtpUse = args.srtp
acfg.mediaConfig.srtpSecureSignaling = args.srtp_sig
acfg.mediaConfig.transportConfig.boundAddress = args.ip
acfg.natConfig.iceEnabled = args.ice
if args.stun:
    acfg.natConfig.sipStunUse = pj.PJSUA_STUN_USE_DISABLED
    acfg.natConfig.mediaStunUse = pj.PJSUA_STUN_USE_DEFAULT
if args.turn:
    acfg.natConfig.turnEnabled = True
    acfg.natConfig.turnServer = args.turn
    acfg.natConfig.turnUserName = args.turn_user
    acfg.natConfig.turnPassword = args.turn_pass
    acfg.natConfig.turnPasswordType = 0
    acfg.natConfig.turnConnType = pj.PJ_TURN_TP_UDP
acfg.presConfig.publishEnabled = args.publish
acc = Account()
acc.create(acfg)

def poll(sec):
    end = time.time() + sec
    while time.time() < end:
        ep.libHandleEvents(20)

if args.registrar:
    poll(1.5)

if args.publish:
    ps = pj.PresenceStatus()
    ps.status = pj.PJSUA_BUDDY_STATUS_ONLINE
    ps.activity = pj.PJRPID_ACTIVITY_BUSY
    ps.note = "In a meeting"
    acc.setOnlineStatus(ps)
    log("PUBLISH online/busy sent")

buddy = None
if args.subscribe:
    bc = pj.BuddyConfig()
    bc.uri = args.subscribe
    bc.subscribe = True
    buddy = Buddy()
    buddy.create(acc, bc)
    log("SUBSCRIBE presence to", args.subscribe)

if args.message:
    bc = pj.BuddyConfig()
    bc.uri = args.message[0]
    bc.subscribe = False
    mb = pj.Buddy()
    mb.create(acc, bc)
    sp = pj.SendInstantMessageParam()
    sp.content = args.message[1]
    mb.sendInstantMessage(sp)
    log("MESSAGE sent to", args.message[0])

if args.call:
    c = Call(acc)
    calls.append(c)
    op = pj.CallOpParam(True)
    c.makeCall(args.call, op)
    log("calling", args.call)

start = time.time()
done_reinvite = done_transfer = hung = cancelled = False
while time.time() - start < args.duration:
    ep.libHandleEvents(20)
    if args.cancel_after and not cancelled and time.time() - start > args.cancel_after:
        for c in calls:
            if c.isActive() and c.connected_at is None:
                cancelled = True
                c.hangup(pj.CallOpParam(True))
                log("CANCEL sent")
    for c in list(calls):
        if not c.isActive() or c.connected_at is None:
            continue
        age = time.time() - c.connected_at
        if age > 3 and not getattr(c, "mid_logged", False):
            c.mid_logged = True
            c.log_stats()
        if args.reinvite and not done_reinvite and age > 2:
            done_reinvite = True
            op = pj.CallOpParam(True)
            c.setHold(op)
            log("re-INVITE (hold) sent")
            poll(1)
            op = pj.CallOpParam(True)
            op.opt.flag = pj.PJSUA_CALL_UNHOLD
            c.reinvite(op)
            log("re-INVITE (unhold) sent")
        if args.transfer_to and not done_transfer and age > 1:
            done_transfer = True
            c.xfer(args.transfer_to, pj.CallOpParam(True))
            log("REFER sent ->", args.transfer_to)
        if args.hangup_after and age > args.hangup_after and not hung:
            hung = True
            c.log_stats()
            c.hangup(pj.CallOpParam(True))
            log("BYE sent")
    if args.hangup_after and hung and all(not c.isActive() for c in calls):
        poll(0.5)
        break

for c in calls:
    if c.isActive():
        c.log_stats()
        c.hangup(pj.CallOpParam(True))
poll(0.5)
player = None
recorder = None
buddy = None
if args.registrar:
    acc.setRegistration(False)
    poll(0.5)
log("done")
# pjsua2 in python: explicit destroy avoids a GC ordering crash
calls.clear()
import gc; gc.collect()
log("destroying lib")
ep.libDestroy()
log("lib destroyed")
os._exit(0)
