import MCP

/// JSON Schema building blocks for the tools' input and output schemas.
enum Schema {
    static let uuidPattern = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

    static func object(_ properties: [String: Value], required: [String] = []) -> Value {
        [
            "type": "object",
            "properties": .object(properties),
            "required": .array(required.map { .string($0) }),
            "additionalProperties": false,
        ]
    }

    static func string(_ description: String, maxLength: Int) -> Value {
        ["type": "string", "description": .string(description), "maxLength": .int(maxLength)]
    }

    static func uuid(_ description: String) -> Value {
        ["type": "string", "description": .string(description), "pattern": .string(uuidPattern), "minLength": 36, "maxLength": 36]
    }

    static func integer(_ description: String, _ range: ClosedRange<Int>, default value: Int? = nil) -> Value {
        var schema: [String: Value] = [
            "type": "integer", "description": .string(description), "minimum": .int(range.lowerBound),
            "maximum": .int(range.upperBound),
        ]
        if let value { schema["default"] = .int(value) }
        return .object(schema)
    }

    static func enumeration(_ description: String, _ cases: [String]) -> Value {
        ["type": "string", "description": .string(description), "enum": .array(cases.map { .string($0) })]
    }

    static let timestamp: Value = ["type": "string", "description": "ISO 8601 UTC time", "format": "date-time"]
    static let nullableTimestamp: Value = ["type": ["string", "null"], "description": "ISO 8601 UTC time, or null", "format": "date-time"]
    static let nullableString: Value = ["type": ["string", "null"]]
    static let nullableUUID: Value = ["type": ["string", "null"], "pattern": .string(uuidPattern)]
    static let cursor = string("next_cursor of the previous page; omit for the first page", maxLength: 512)
    static let limit = integer("page size", 1...1000, default: 100)

    /// The structured content of a failed call: `{"error": {"code", "message"}}`.
    static let error: Value = [
        "type": "object",
        "properties": [
            "error": [
                "type": "object",
                "properties": [
                    "code": [
                        "type": "string",
                        "enum": ["UNAUTHENTICATED", "PERMISSION_DENIED", "NOT_FOUND", "INVALID_ARGUMENT", "UNAVAILABLE", "INTERNAL"],
                    ],
                    "message": ["type": "string"],
                ],
                "required": ["code", "message"],
            ]
        ],
        "required": ["error"],
    ]

    /// An output schema: the success shape, or the error shape of an `isError` result.
    static func output(_ properties: [String: Value], required: [String]) -> Value {
        [
            "type": "object",
            "anyOf": [
                ["type": "object", "properties": .object(properties), "required": .array(required.map { .string($0) })],
                error,
            ],
        ]
    }

    static func page(of item: Value, extra: [String: Value] = [:]) -> Value {
        var properties: [String: Value] = ["items": ["type": "array", "items": item], "next_cursor": nullableString]
        properties.merge(extra) { a, _ in a }
        return output(properties, required: ["items", "next_cursor"])
    }

    static let licenseRecord: Value = [
        "type": "object",
        "properties": [
            "license_id": ["type": "string"], "owner_agent_id": ["type": "string"], "namespace": ["type": "string"],
            "tier": ["type": "string"], "status": ["type": "string", "enum": ["active", "expired", "revoked"]],
            "issued_at": timestamp, "expires_at": nullableTimestamp, "is_perpetual": ["type": "boolean"],
            "is_active": ["type": "boolean"], "revoked_at": nullableTimestamp, "revoked_reason": nullableString,
            "validation_count": ["type": "integer"], "last_validated_at": nullableTimestamp,
            "metadata": ["type": "object", "additionalProperties": ["type": "string"]],
        ],
        "required": [
            "license_id", "owner_agent_id", "namespace", "tier", "status", "issued_at", "expires_at", "is_perpetual",
            "is_active", "revoked_at", "validation_count",
        ],
    ]
}
