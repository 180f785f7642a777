// The demo recipe's config.json and its T5Config (which fixes the tensor layout the initial weights follow) agree.
import DemoAssets
import Foundation
import T5
import XCTest

final class RecipeConfigTests: XCTestCase {
    func testConfigJSONReadsBackAsTheRecipesConfig() throws {
        let recipe = DemoModelRecipe()
        let parsed = try T5Config.parse(Data(recipe.configJSON().utf8), file: "config.json")
        XCTAssertEqual(parsed, recipe.config)
        XCTAssertEqual(recipe.weightShapes().map(\.0), T5TensorLayout(config: parsed).tensors.map(\.name))
    }
}
