// One error type for every reader/writer failure: one line naming the file and the problem.

public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let problem: String

    public init(file: String, _ problem: String) {
        self.file = file
        self.problem = problem
    }

    public var description: String { "\(file): \(problem)" }
}
