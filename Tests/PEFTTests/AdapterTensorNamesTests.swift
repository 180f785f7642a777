import PEFT
import XCTest

final class AdapterTensorNamesTests: XCTestCase {
    func testKeysRoundTripToTheirModule() {
        let module = "decoder.block.1.layer.1.EncDecAttention.q"
        XCTAssertEqual(AdapterTensorNames.a(module: module), "base_model.model.decoder.block.1.layer.1.EncDecAttention.q.lora_A.weight")
        XCTAssertEqual(AdapterTensorNames.b(module: module), "base_model.model.decoder.block.1.layer.1.EncDecAttention.q.lora_B.weight")
        XCTAssertEqual(AdapterTensorNames.module(ofKey: AdapterTensorNames.a(module: module)), module)
        XCTAssertEqual(AdapterTensorNames.module(ofKey: AdapterTensorNames.b(module: module)), module)
    }

    func testOtherKeysHaveNoModule() {
        for key in ["encoder.block.0.layer.0.SelfAttention.q.weight", "base_model.model.x.lora_C.weight",
                    "base_model.model..lora_A.weight", "base_model.model.lora_A.weight", "model.x.lora_A.weight", ""] {
            XCTAssertNil(AdapterTensorNames.module(ofKey: key), key)
        }
    }
}
