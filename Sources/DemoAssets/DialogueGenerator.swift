import Kernels

/// One generated example in SAMSum's shape.
public struct DemoDialogue: Equatable, Sendable {
    public let id: String
    public let dialogue: String
    public let summary: String
    /// The first turn of the scenario itself ("Name: message", no greeting or small talk):
    /// the extractive "lead" summary the demo's base model is pretrained to give.
    public let lead: String
}

/// Messenger-style dialogues between two or three people with a one-sentence third-person
/// summary, in the spirit of SAMSum: plans, errands, favours, lost things, lateness,
/// invitations and borrowing, wrapped in greetings, small talk and noise. Every draw comes
/// from one seeded generator, so the same seed gives the same corpus byte for byte.
public struct DialogueGenerator {
    private var rng: SplitMix64

    public init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    public mutating func make(id: String) -> DemoDialogue {
        let scenario = rng.index(7)
        var people = [String]()
        while people.count < 3 {
            let n = rng.pick(DemoVocabulary.names)
            if !people.contains(n) { people.append(n) }
        }
        let (a, b, c) = (people[0], people[1], people[2])
        var lines: [(String, String)] = []
        let summary: String
        typealias V = DemoVocabulary

        if rng.chance(0.7) { lines.append((a, rng.pick(V.greetings))) }
        if rng.chance(0.5) { lines.append((b, rng.pick(V.greetings))) }
        if rng.chance(0.3) { lines.append((b, rng.pick(V.smallTalk))) }

        let scenarioStart = lines.count
        switch scenario {
        case 0:  // a meeting plan, sometimes renegotiated
            let place = rng.pick(V.places), day = rng.pick(V.days)
            var time = rng.pick(V.times)
            lines.append((a, rng.pick(["Do you want to meet \(day)?", "Are you free \(day)?", "Let's meet \(day)!"])))
            lines.append((b, rng.pick(["Sure, where?", "yes! where?", "Maybe, where and when?"])))
            lines.append((a, rng.pick(["What about \(place) at \(time)?", "\(place.capitalizedFirst) at \(time)?", "How about \(place), \(time)?"])))
            if rng.chance(0.4) {
                let later = rng.pick(V.times.filter { $0 != time })
                lines.append((b, rng.pick(["\(time) is too early for me, can we do \(later)?", "I can't at \(time). \(later)?", "Can we make it \(later)?"])))
                lines.append((a, rng.pick(V.acks)))
                time = later
            } else {
                lines.append((b, rng.pick(V.acks)))
            }
            summary = "\(a) and \(b) will meet at \(place) at \(time) \(day)."
        case 1:  // an errand
            let item = rng.pick(V.items), shop = rng.pick(V.shops)
            lines.append((a, rng.pick(["Are you still in town?", "Where are you?", "Are you coming home soon?"])))
            lines.append((b, rng.pick(["yes, why?", "on my way home", "I'm near \(shop)"])))
            lines.append((a, rng.pick(["Could you buy \(item) at \(shop)?", "Can you get \(item) from \(shop)?", "We need \(item). Can you stop at \(shop)?"])))
            lines.append((b, rng.pick(["sure", "ok, anything else?", "no problem"])))
            lines.append((a, rng.pick(V.thanks)))
            summary = "\(b) will buy \(item) at \(shop) for \(a)."
        case 2:  // a favour for a third person
            let place = rng.pick(V.places), time = rng.pick(V.times)
            lines.append((a, rng.pick(["I need a favour", "Can you help me?", "Are you busy later?"])))
            lines.append((b, rng.pick(["what is it?", "sure, what's up?", "depends :P"])))
            lines.append((a, rng.pick(["Could you pick up \(c) from \(place) at \(time)?", "Can you collect \(c) at \(place) at \(time)? I'm stuck at work", "\(c) needs a lift from \(place) at \(time). Can you go?"])))
            lines.append((b, rng.pick(["ok, I'll be there", "sure, no problem", "fine, I'll go"])))
            lines.append((a, rng.pick(V.thanks)))
            summary = "\(b) will pick up \(c) from \(place) at \(time)."
        case 3:  // something lost
            let thing = rng.pick(V.belongings), spot = rng.pick(V.spots)
            lines.append((a, rng.pick(["Have you seen my \(thing)?", "I can't find my \(thing)!", "Where is my \(thing)??"])))
            lines.append((b, rng.pick(["No, did you check \(spot)?", "I think it's in \(spot)", "Last time I saw it in \(spot)"])))
            lines.append((a, rng.pick(["found it, it was in \(spot)!", "yes, it's in \(spot). thanks", "Got it, \(spot). phew"])))
            summary = "\(a)'s \(thing) was in \(spot)."
        case 4:  // running late
            let minutes = rng.pick([5, 10, 15, 20, 30, 45]), reason = rng.pick(V.reasons)
            lines.append((a, rng.pick(["I'm going to be late", "Sorry, I'm running late", "Start without me"])))
            lines.append((b, rng.pick(["how late?", "again? :D", "what happened?"])))
            lines.append((a, rng.pick(["About \(minutes) minutes, \(reason)", "\(minutes) minutes, because of \(reason)", "\(reason.capitalizedFirst)... \(minutes) min"])))
            lines.append((b, rng.pick(V.acks)))
            summary = "\(a) will be \(minutes) minutes late because of \(reason)."
        case 5:  // an invitation to two people, one declines
            let event = rng.pick(V.events), day = rng.pick(V.days)
            lines.append((a, rng.pick(["I'm having \(event) \(day). Want to come?", "\(event.capitalizedFirst) at my place \(day)! Are you in?", "You're both invited to \(event) \(day)"])))
            lines.append((b, rng.pick(["I'm in!", "sure, I'll come", "count me in"])))
            lines.append((c, rng.pick(["I can't, sorry", "I'm away \(day) :(", "Sorry, I have to work"])))
            lines.append((a, rng.pick(["no worries", "next time then", "too bad"])))
            summary = "\(a) invites \(b) and \(c) to \(event) \(day), but \(c) can't come."
        default:  // borrowing
            let thing = rng.pick(V.lendables), day = rng.pick(V.days)
            lines.append((a, rng.pick(["Can I borrow your \(thing)?", "Could you lend me your \(thing)?", "Do you still have that \(thing)?"])))
            lines.append((b, rng.pick(["what for?", "yes, when do you need it?", "sure, for how long?"])))
            lines.append((a, rng.pick(["I'll give it back \(day)", "Just until \(day.replacingPrefix("on ", with: ""))", "I need it until \(day.replacingPrefix("on ", with: ""))"])))
            lines.append((b, rng.pick(V.acks)))
            summary = "\(b) will lend \(a) the \(thing) until \(day.replacingPrefix("on ", with: ""))."
        }

        if rng.chance(0.3) { lines.append((b, rng.pick(V.smallTalk))) }
        if rng.chance(0.6) { lines.append((a, rng.pick(V.closers))) }
        if rng.chance(0.3) { lines.append((b, rng.pick(V.closers))) }

        // SAMSum uses "\r\n" between turns in most dialogues and "\n" in some.
        let newline = rng.chance(0.85) ? "\r\n" : "\n"
        let dialogue = lines.map { "\($0.0): \($0.1)" }.joined(separator: newline)
        let lead = "\(lines[scenarioStart].0): \(lines[scenarioStart].1)"
        return DemoDialogue(id: id, dialogue: dialogue, summary: summary, lead: lead)
    }

    /// A split of `count` dialogues with SAMSum-like ids ("13818513" style: eight digits).
    public mutating func split(_ count: Int, idBase: Int) -> [DemoDialogue] {
        (0..<count).map { make(id: String(idBase + $0)) }
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }

    func replacingPrefix(_ prefix: String, with new: String) -> String {
        hasPrefix(prefix) ? new + dropFirst(prefix.count) : self
    }
}
