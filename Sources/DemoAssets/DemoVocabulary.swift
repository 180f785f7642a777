/// The word lists the demo dialogues are built from. Small on purpose: the demo model is
/// tiny, and a summary it can learn in a minute must be made of words it sees often.
enum DemoVocabulary {
    static let names = [
        "Amanda", "Jerry", "Tom", "Olivia", "Mark", "Kate", "Paul", "Emma", "John", "Sarah",
        "Mike", "Anna", "Peter", "Lucy", "David", "Julia", "Chris", "Laura", "Adam", "Hannah",
        "Ben", "Sophie", "Jack", "Mia", "Sam", "Ella", "Nick", "Grace", "Dan", "Alice",
    ]

    static let places = [
        "the cinema", "the station", "the park", "the library", "the gym", "the mall", "the office",
        "the cafe", "the pub", "the beach", "the museum", "the school", "the airport", "the market",
        "the hospital", "the bakery", "the bus stop", "the pizza place",
    ]

    static let times = [
        "7 am", "8 am", "9 am", "10 am", "11 am", "noon", "1 pm", "2 pm", "3 pm", "4 pm", "5 pm",
        "6 pm", "7 pm", "8 pm", "9 pm",
    ]

    static let days = [
        "today", "tomorrow", "on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday",
        "on Saturday", "on Sunday", "tonight", "this weekend",
    ]

    static let items = [
        "milk", "bread", "eggs", "coffee", "batteries", "a charger", "some apples", "a birthday card",
        "tea", "cheese", "flowers", "a cake", "stamps", "rice", "tomatoes", "a newspaper",
    ]

    static let shops = ["the supermarket", "the corner shop", "the market", "the bakery", "the pharmacy"]

    static let belongings = [
        "keys", "phone", "wallet", "glasses", "umbrella", "laptop", "headphones", "passport",
        "jacket", "book", "bag", "scarf",
    ]

    static let spots = [
        "the kitchen", "the car", "the bathroom", "the living room", "your bag", "the hall",
        "the bedroom", "the office", "the garage", "the sofa",
    ]

    static let reasons = [
        "traffic", "the rain", "a meeting", "the train", "a flat tire", "work", "the bus",
        "a long queue", "the snow",
    ]

    static let events = [
        "a barbecue", "a birthday party", "a movie night", "a dinner", "a picnic", "a concert",
        "a game night", "a housewarming party",
    ]

    static let lendables = ["car", "bike", "drill", "camera", "tent", "ladder", "laptop", "suitcase"]

    static let greetings = ["Hi!", "Hey", "hey :)", "Hello", "Hi there", "Morning!", "yo", "Hey you"]
    static let acks = ["ok", "OK", "sure", "great", "cool", "fine", "perfect", "no problem", "deal", "sounds good"]
    static let thanks = ["thanks!", "thx", "thank you!", "thanks a lot", "you're the best", "great, thanks"]
    static let closers = ["see you", "bye", "see ya", "cu", "talk later", "👍", ":)", "<3"]
    static let smallTalk = [
        "how are you?", "what's up?", "busy day?", "did you see the game yesterday?", "it's so cold today",
        "I'm so tired", "lol", "haha", "I just woke up", "nice weather today", "<file_gif>", "<file_photo>",
        "omg", "finally friday", "I need coffee",
    ]
}
