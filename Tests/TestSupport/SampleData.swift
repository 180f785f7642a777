/// Small dialogue-summary-like data for evaluation tests.
public enum SampleData {
    public static let references: [(String, String)] = [
        ("1", "Amanda baked cookies and will bring Jerry some tomorrow."),
        ("2", "Olivia and Olivier are voting for liberals in this election."),
        ("3", "Tim will call Kim back after his meeting.\nKim is worried."),
        ("4", "Edward thinks he is in love with Bella. Rachel wants Edward to open his door."),
        ("5", "Sam is confused, because he overheard Rick complaining about him."),
        ("6", "Neville will meet Don at 5 pm on Friday at the bus-stop."),
    ]
    public static let base: [(String, String)] = [
        ("1", "Amanda will bring cookies."),
        ("2", "Olivia is voting."),
        ("3", "Tim will call Kim."),
        ("4", "Rachel wants Edward to open the door."),
        ("5", "Sam overheard Rick."),
        ("6", "Neville will meet Don."),
    ]
    public static let lora: [(String, String)] = [
        ("1", "Amanda baked cookies and will bring Jerry some tomorrow."),
        ("2", "Olivia and Olivier are voting for liberals."),
        ("3", "Tim will call Kim back after the meeting."),
        ("4", "Edward is in love with Bella. Rachel wants Edward to open his door."),
        ("5", "Sam is confused because Rick complained about him."),
        ("6", "Neville will meet Don at 5 pm on Friday."),
    ]
}
