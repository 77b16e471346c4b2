"""The reference for the stdio round trip: the official Python SDK's MCPServer with one echo tool."""
from mcp.server.mcpserver import MCPServer

server = MCPServer("echo")


@server.tool()
def echo(text: str) -> str:
    """Returns its argument."""
    return text


if __name__ == "__main__":
    server.run()
