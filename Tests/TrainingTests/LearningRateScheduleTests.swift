import XCTest
@testable import Training

/// train.lr_scheduler_type and train.warmup_ratio against transformers 5.24 (Tests/Fixtures/PEFT/lr_schedules.json,
/// made by scripts/fixtures/lr_schedules_fixture.py): every update's learning rate, bit for bit.
final class LearningRateScheduleTests: XCTestCase {
    struct Fixture: Decodable {
        struct Schedule: Decodable {
            var name: String
            var base_lr: Double
            var warmup_steps: Int
            var total_steps: Int
            var lr: [Double]
        }
        struct Warmup: Decodable {
            var ratio: Double
            var total_steps: Int
            var warmup_steps: Int
        }
        var schedules: [Schedule]
        var warmup_ratio: [Warmup]
    }

    func testEveryScheduleGivesTransformersLearningRates() throws {
        let fixture = try JSONDecoder().decode(Fixture.self, from: try loadFixture("lr_schedules.json"))
        var compared = Set<String>()
        for s in fixture.schedules {
            let kind = try XCTUnwrap(LearningRateSchedule.Kind(rawValue: s.name))
            if kind == .constant && s.warmup_steps > 0 {
                // transformers ignores a warm-up for "constant"; here it is an error, not a silent change
                XCTAssertThrowsError(try LearningRateSchedule(kind, baseLearningRate: s.base_lr, warmupSteps: s.warmup_steps,
                                                              totalSteps: s.total_steps))
                continue
            }
            let schedule = try LearningRateSchedule(kind, baseLearningRate: s.base_lr, warmupSteps: s.warmup_steps,
                                                    totalSteps: s.total_steps)
            // two steps past the end too: where each schedule's floor (or cosine's turn) is
            XCTAssertEqual(s.lr.indices.map { schedule.learningRate(atStep: $0) }, s.lr,
                           "\(s.name) warm-up \(s.warmup_steps) of \(s.total_steps)")
            compared.insert(s.name)
        }
        XCTAssertEqual(compared, Set(LearningRateSchedule.Kind.allCases.map(\.rawValue)))
        // the cosine schedule is not the linear one (a fixture that could not tell them apart would prove nothing)
        let cosine = fixture.schedules.first { $0.name == "cosine" && $0.warmup_steps == 3 }!
        let linear = fixture.schedules.first { $0.name == "linear" && $0.warmup_steps == 3 }!
        XCTAssertNotEqual(cosine.lr, linear.lr)
    }

    func testWarmupRatioRoundsUpAsTransformers() throws {
        let fixture = try JSONDecoder().decode(Fixture.self, from: try loadFixture("lr_schedules.json"))
        XCTAssertGreaterThan(fixture.warmup_ratio.count, 20)
        for w in fixture.warmup_ratio {
            XCTAssertEqual(LearningRateSchedule.warmupSteps(ratio: w.ratio, totalSteps: w.total_steps), w.warmup_steps,
                           "ratio \(w.ratio) of \(w.total_steps)")
        }
    }
}
