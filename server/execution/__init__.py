"""The Code Execution API: run code against test cases in the sandbox, read results back."""
