#include "function_main.hpp"
#include "handler.hpp"

int main() {
    return items::function_main<items_ecpg::handler>();
}
