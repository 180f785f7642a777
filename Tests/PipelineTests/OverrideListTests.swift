import XCTest
import Failures
@testable import Pipeline

/// make's SET, split into overrides: spaces inside brackets, braces and quotes stay in their item
/// (`SET="lora.target_modules=[q, v]"` failed with "got 'v]'", and a rank_pattern could not be set).
final class OverrideListTests: XCTestCase {
    func testSpacesInsideListsMappingsAndQuotesStayInTheirItem() throws {
        XCTAssertEqual(try OverrideList.split("generation.num_beams=4  generation.max_new_tokens=64"),
                       ["generation.num_beams=4", "generation.max_new_tokens=64"])
        XCTAssertEqual(try OverrideList.split("lora.target_modules=[q, v] train.lr=1e-4"),
                       ["lora.target_modules=[q, v]", "train.lr=1e-4"])
        XCTAssertEqual(try OverrideList.split(#"lora.rank_pattern={'decoder.*\.q': 8, wo: [1, 2]} tokenize.prompt="a b""#),
                       [#"lora.rank_pattern={'decoder.*\.q': 8, wo: [1, 2]}"#, #"tokenize.prompt="a b""#])
        XCTAssertEqual(try OverrideList.split(#"notes.x='it''s [x'"#), [#"notes.x='it''s [x'"#])
        XCTAssertEqual(try OverrideList.split("  "), [])
    }

    func testUnbalancedInputIsOneUsageError() {
        for bad in ["lora.target_modules=[q, v", "a={b: 1]", "a=]", "tokenize.prompt='open"] {
            XCTAssertThrowsError(try OverrideList.split(bad)) { error in
                let e = error as? PipelineError
                XCTAssertEqual(e?.status, .usage, bad)
                XCTAssertTrue(e?.description.contains("SET: ") ?? false, "\(String(describing: e))")
            }
        }
    }

    /// --sets reaches the configuration like --set, and --set comes after it.
    func testStageOptionsApplyTheListThenTheRepeatedSets() throws {
        let options = try StageOptions.parse(["--sets", "lora.target_modules=[q, k, v] train.lr=0.1", "--set", "train.lr=0.2"])
        let config = try PipelineConfig.builtIn(overrides: try options.allOverrides(), folder: URL(fileURLWithPath: "/tmp"))
        XCTAssertEqual(config.value("lora.target_modules"), ["q", "k", "v"])
        XCTAssertEqual(config.value("train.lr").doubleValue, 0.2)
    }
}
